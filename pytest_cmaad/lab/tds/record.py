"""What the lab server received, connection by connection, for tests to inspect."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

RequestKind = Literal["batch", "rpc", "transaction", "attention"]


@dataclass
class LoginRecord:
    """A LOGIN7, without its password."""

    user: str
    database: str
    app_name: str
    host_name: str
    library: str
    tds_version: int
    packet_size: int
    read_only_intent: bool
    features: list[int]
    accepted: bool
    error: int | None = None


@dataclass
class RequestRecord:
    """One request after login.

    :param procedure: the RPC's procedure, or the transaction-manager request's kind.
    :param sql: the statement, for batches and RPCs that carry one.
    :param params: the parameter values' reprs, in order.
    :param outcome: ``rows N``, ``error NUMBER``, ``cancelled``, ``dropped`` or ``ok``.
    """

    kind: RequestKind
    procedure: str | None = None
    sql: str | None = None
    params: list[str] = field(default_factory=list)
    outcome: str = ""


@dataclass
class ConnectionRecord:
    """One client connection.

    :param encryption: ``none``, ``login-only``, ``on`` (TLS in PRELOGIN) or ``strict`` (TDS 8).
    :param client_encryption: the ENCRYPTION byte the client's PRELOGIN carried.
    """

    number: int
    encryption: str = "none"
    client_encryption: int | None = None
    tls_version: str | None = None
    alpn: str | None = None
    login: LoginRecord | None = None
    requests: list[RequestRecord] = field(default_factory=list)


class ServerRecord:
    """Every connection the server accepted, in order (safe to read while it runs)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[ConnectionRecord] = []

    def open(self) -> ConnectionRecord:
        """Start recording a new connection."""
        with self._lock:
            record = ConnectionRecord(number=len(self._connections) + 1)
            self._connections.append(record)
            return record

    @property
    def connections(self) -> list[ConnectionRecord]:
        """The connections so far."""
        with self._lock:
            return list(self._connections)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request of every connection."""
        return [r for c in self.connections for r in list(c.requests)]

    @property
    def statements(self) -> list[str]:
        """The SQL text of every batch and RPC that carried one."""
        return [r.sql for r in self.requests if r.sql is not None]

    def clear(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self._connections.clear()
