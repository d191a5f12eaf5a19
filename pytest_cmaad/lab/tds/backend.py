"""The lab server's database: a read-only SQLite connection that answers like SQL Server.

Results are typed from the declared schema; SQLite's errors become SQL Server's numbers
(208 invalid object, 207 invalid column, 102 syntax, 229 permission denied, ...); an
authorizer lets only reads through and applies the fault knobs; a progress handler stops a
query when the client sends an attention.
"""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from datetime import time as time_of_day
from decimal import Decimal
from pathlib import Path
from typing import Any

from .columns import SqlType, fit, infer
from .typemap import TypeCatalog

Attention = Callable[[float], bool]

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
            sqlite3.SQLITE_RECURSIVE}
_WRITE_VERBS = {sqlite3.SQLITE_INSERT: "INSERT", sqlite3.SQLITE_UPDATE: "UPDATE",
                sqlite3.SQLITE_DELETE: "DELETE"}


class ServerError(Exception):
    """An error SQL Server would send: number, class (severity) and text."""

    def __init__(self, number: int, severity: int, text: str, state: int = 1) -> None:
        super().__init__(text)
        self.number = number
        self.severity = severity
        self.text = text
        self.state = state


class Interrupted(Exception):
    """The client sent an attention while the statement ran."""


@dataclass
class Faults:
    """What the lab server gets wrong on purpose. Object names compare case-insensitively.

    :param wrong_password: every login fails as if its password were wrong (18456).
    :param denied: objects the login may not SELECT (229).
    :param slow: objects whose queries take this many seconds (an attention still stops them).
    :param dropped: objects whose results break off: the connection closes after the first
        packet.
    """

    wrong_password: bool = False
    denied: set[str] = field(default_factory=set)
    slow: dict[str, float] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)

    def delay(self, objects: set[str]) -> float:
        """Seconds a query over ``objects`` is held back."""
        return max((s for name, s in self.slow.items() if name.lower() in objects), default=0)

    def drops(self, objects: set[str]) -> bool:
        """Whether a result over ``objects`` breaks off."""
        return any(name.lower() in objects for name in self.dropped)

    def denies(self, name: str | None) -> bool:
        """Whether the login may not read ``name``."""
        return bool(name) and str(name).lower() in {d.lower() for d in self.denied}


@dataclass
class Executed:
    """A statement's result: column names and types, rows, and the objects it read."""

    names: list[str]
    types: list[SqlType]
    rows: list[tuple[Any, ...]]
    objects: set[str]
    drop: bool = False


def sqlite_value(value: Any) -> Any:
    """A parameter value as the lab database stores it (GUIDs upper case, times as text)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, uuid.UUID):
        return str(value).upper()
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="milliseconds")
    if isinstance(value, (date, time_of_day)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class SqliteBackend:
    """One connection's view of the database.

    :param database: the SQLite file (opened read-only).
    :param attach: further files, by schema name (``INFORMATION_SCHEMA``).
    :param catalog: the declared types, shared by all connections.
    :param faults: the fault knobs, shared with the server (read at each statement).
    :param database_name: the name the server gives the database in messages.
    """

    def __init__(self, database: Path, attach: dict[str, Path], catalog: TypeCatalog,
                 faults: Faults, database_name: str) -> None:
        self.catalog = catalog
        self.faults = faults
        self.database_name = database_name
        self._conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True,
                                     check_same_thread=False, cached_statements=0)
        for schema, path in attach.items():
            self._conn.execute(f"ATTACH DATABASE ? AS [{schema}]",
                               (f"{path.resolve().as_uri()}?mode=ro",))
        self._conn.set_authorizer(self._authorize)
        self._reads: set[str] = set()
        self._refusal: ServerError | None = None

    def close(self) -> None:
        """Close the SQLite connection."""
        self._conn.close()

    def _authorize(self, action: int, arg1: str | None, arg2: str | None, _db: str | None,
                   inner: str | None) -> int:
        if action == sqlite3.SQLITE_READ:
            for name in (arg1, inner):
                if name:
                    self._reads.add(name.lower())
            for name in (inner, arg1):
                if self.faults.denies(name):
                    self._refusal = self._permission("SELECT", str(name))
                    return sqlite3.SQLITE_DENY
        if action in _ALLOWED:
            return sqlite3.SQLITE_OK
        verb = _WRITE_VERBS.get(action)
        if verb is not None and self._refusal is None:
            self._refusal = self._permission(verb, arg1 or "?")
        elif self._refusal is None:
            self._refusal = ServerError(
                262, 14, f"Permission denied in database '{self.database_name}': the lab "
                         "login may only read.")
        return sqlite3.SQLITE_DENY

    def _permission(self, verb: str, name: str) -> ServerError:
        return ServerError(229, 14, f"The {verb} permission was denied on the object '{name}', "
                                    f"database '{self.database_name}', schema 'dbo'.", state=5)

    def execute(self, sql: str, params: dict[str, Any], attention: Attention,
                types: list[SqlType] | None = None) -> Executed:
        """Run one statement.

        :param attention: ``attention(seconds)`` waits up to that long for an attention from
            the client and says whether one came.
        :param types: the column types the client already has (re-executed prepared
            statements), instead of typing the result again.
        :raises ServerError: SQL Server's error for what went wrong.
        :raises Interrupted: when an attention stopped the statement.
        """
        self._reads = set()
        self._refusal = None
        self._conn.set_progress_handler(lambda: int(attention(0)), 20_000)
        try:
            cursor = self._conn.execute(sql, {k: sqlite_value(v) for k, v in params.items()})
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise self._translate(exc) from None
        finally:
            self._conn.set_progress_handler(None, 0)
        delay = self.faults.delay(self._reads)
        deadline = time.monotonic() + delay
        while delay and time.monotonic() < deadline:
            if attention(min(0.05, max(deadline - time.monotonic(), 0))):
                raise Interrupted
        names = [d[0] for d in cursor.description or ()]
        return Executed(names, self._types(sql, names, rows, types), rows, set(self._reads),
                        self.faults.drops(self._reads))

    def _types(self, sql: str, names: list[str], rows: list[tuple[Any, ...]],
               known: list[SqlType] | None) -> list[SqlType]:
        if known is not None and len(known) == len(names):
            return known
        described = self.catalog.describe(sql)
        if described is not None and len(described) != len(names):
            described = None
        types = []
        for index in range(len(names)):
            values = [r[index] for r in rows]
            declared = described[index].sql_type if described else None
            types.append(fit(declared, values) if declared else infer(values))
            if described and not described[index].named:
                names[index] = ""
        return types

    def _translate(self, exc: sqlite3.Error) -> Exception:
        text = str(exc)
        if text == "interrupted":
            return Interrupted()
        if self._refusal is not None:
            return self._refusal
        for pattern, make in _ERRORS:
            found = pattern.search(text)
            if found:
                return make(found, self.database_name)
        return ServerError(50000, 16, f"lab server: {text}")


def _object(match: re.Match[str], _db: str) -> ServerError:
    return ServerError(208, 16, f"Invalid object name '{match.group(1)}'.")


def _column(match: re.Match[str], _db: str) -> ServerError:
    return ServerError(207, 16, f"Invalid column name '{match.group(1).split('.')[-1]}'.")


def _syntax(match: re.Match[str], _db: str) -> ServerError:
    return ServerError(102, 15, f"Incorrect syntax near '{match.group(1)}'.")


def _quote(match: re.Match[str], _db: str) -> ServerError:
    return ServerError(105, 15, "Unclosed quotation mark after the character string "
                                f"'{match.group(1)}'.")


def _end(_match: re.Match[str], _db: str) -> ServerError:
    return ServerError(102, 15, "Incorrect syntax near the end of the statement.")


def _function(match: re.Match[str], _db: str) -> ServerError:
    return ServerError(195, 15, f"'{match.group(1)}' is not a recognized built-in function "
                                "name.")


def _ambiguous(match: re.Match[str], _db: str) -> ServerError:
    return ServerError(209, 16, f"Ambiguous column name '{match.group(1)}'.")


def _read_only(_match: re.Match[str], db: str) -> ServerError:
    return ServerError(3906, 16, f'Failed to update database "{db}" because the database is '
                                 "read-only.")


def _several(_match: re.Match[str], _db: str) -> ServerError:
    return ServerError(50000, 16, "lab server: one statement per request")


_ERRORS: list[tuple[re.Pattern[str], Callable[[re.Match[str], str], ServerError]]] = [
    (re.compile(r"no such table: (?:\w+\.)?(.+)"), _object),
    (re.compile(r"no such column: (.+)"), _column),
    (re.compile(r'near "(.*)": syntax error'), _syntax),
    (re.compile(r"unrecognized token: \"'(.*)\""), _quote),
    (re.compile(r"incomplete input"), _end),
    (re.compile(r"no such function: (.+)"), _function),
    (re.compile(r"ambiguous column name: (.+)"), _ambiguous),
    (re.compile(r"readonly database"), _read_only),
    (re.compile(r"one statement at a time"), _several),
]
