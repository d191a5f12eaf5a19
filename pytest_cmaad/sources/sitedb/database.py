"""Connections to a site database: ODBC (pyodbc, imported only when used) and SQLite (the lab).

Both refuse anything but a single SELECT before it reaches the driver, count the queries they
run, and turn every driver error into a :class:`DatabaseError` with one line naming the
database, the SQLSTATE and the fix. ODBC connections run in autocommit (reads need no
transaction), announce ``ApplicationIntent=ReadOnly`` to Microsoft's SQL Server drivers, and
open a new connection once when the server drops the old one mid-run.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import struct
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ...config import redact
from .guard import ensure_read_only

Row = tuple[Any, ...]


class DatabaseError(Exception):
    """A database problem, as one line naming the database and the fix."""

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class Database(ABC):
    """A read-only site database connection."""

    description: str
    queries: int = 0

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one SELECT and return all its rows.

        :raises NotReadOnly: when the statement is not a single read.
        :raises DatabaseError: when the driver fails.
        """
        return self.query_with_names(sql, params)[1]

    def query_with_names(self, sql: str, params: Sequence[Any] = ()
                         ) -> tuple[list[str], list[Row]]:
        """Like :meth:`query`, with the result's column names first."""
        ensure_read_only(sql)
        self.queries += 1
        return self._run(sql, [_param(p) for p in params])

    @abstractmethod
    def _run(self, sql: str, params: list[Any]) -> tuple[list[str], list[Row]]: ...

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""


def _param(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


class SqliteDatabase(Database):
    """A SQLite file opened read-only through the standard library (the lab's default)."""

    def __init__(
        self, path: Path, attach: dict[str, Path] | None = None, query_timeout: float = 60
    ) -> None:
        self.description = f"SQLite {path.name}"
        self.query_timeout = query_timeout
        self._conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        for schema, other in (attach or {}).items():
            self._conn.execute(
                f"ATTACH DATABASE ? AS {schema}", (f"{other.resolve().as_uri()}?mode=ro",)
            )

    def _run(self, sql: str, params: list[Any]) -> tuple[list[str], list[Row]]:
        deadline = time.monotonic() + self.query_timeout
        self._conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        args = [v.isoformat(sep=" ", timespec="milliseconds") if isinstance(v, datetime)
                else v for v in params]
        try:
            cursor = self._conn.execute(sql, args)
            rows = cursor.fetchall()
            return [d[0] for d in cursor.description or ()], rows
        except sqlite3.Error as exc:
            if time.monotonic() > deadline:
                raise DatabaseError(
                    f"sql {self.description}: query timed out after {self.query_timeout:g} s "
                    "— raise sql_query_timeout", "HYT00"
                ) from None
            raise DatabaseError(f"sql {self.description}: {exc}", "HY000") from None
        finally:
            self._conn.set_progress_handler(None, 0)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class OdbcDatabase(Database):
    """A database reached through pyodbc and an ODBC driver.

    :param connection_string: the profile's ``sql`` value.
    :param on_connect: run on the raw connection right after login, outside the read-only
        guard; the lab uses it to attach its INFORMATION_SCHEMA to SQLite.
    :param environment: variables set while the driver connects (the lab points OpenSSL's
        ``SSL_CERT_FILE`` at its CA this way).
    """

    def __init__(
        self,
        connection_string: str,
        login_timeout: int = 15,
        query_timeout: int = 60,
        on_connect: Callable[[Any], None] | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.description = describe_connection_string(connection_string)
        self.login_timeout = login_timeout
        self.query_timeout = query_timeout
        self.reconnects = 0
        self._connection_string = with_read_only_intent(connection_string)
        self._secrets = _secret_values(connection_string)
        self._on_connect = on_connect
        self._environment = dict(environment or {})
        self._reconnect_error: DatabaseError | None = None
        self._conn: Any = self._connect()

    def _connect(self) -> Any:
        pyodbc = import_pyodbc()
        try:
            with _environment(self._environment):
                conn = pyodbc.connect(self._connection_string, timeout=self.login_timeout,
                                      autocommit=True, readonly=True)
            conn.timeout = self.query_timeout
            conn.add_output_converter(SQL_SS_TIMESTAMPOFFSET, _datetimeoffset)
            if self._on_connect is not None:
                self._on_connect(conn)
            return conn
        except pyodbc.Error as exc:
            raise self._translate(exc, connecting=True) from None

    def _run(self, sql: str, params: list[Any]) -> tuple[list[str], list[Row]]:
        if self._conn is None:
            # One new connection after a drop; if that fails too, every later query says so
            # at once instead of waiting for another login timeout.
            if self._reconnect_error is not None:
                raise self._reconnect_error
            try:
                self._conn = self._connect()
            except DatabaseError as exc:
                self._reconnect_error = exc
                raise
            self.reconnects += 1
        pyodbc = import_pyodbc()
        try:
            cursor = self._conn.cursor()
            try:
                cursor.execute(sql, *params)
                names = [d[0] for d in cursor.description or ()]
                return names, [tuple(row) for row in cursor.fetchall()]
            finally:
                with contextlib.suppress(pyodbc.Error):
                    cursor.close()
        except pyodbc.Error as exc:
            error = self._translate(exc, connecting=False)
            if error.sqlstate in CONNECTION_LOST:
                self._drop_connection()
            raise error from None

    def _drop_connection(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()
        self._conn = None

    def close(self) -> None:
        """Close the connection; errors on close are of no interest."""
        if self._conn is not None:
            self._drop_connection()

    def _translate(self, exc: Exception, connecting: bool) -> DatabaseError:
        sqlstate, text = _odbc_error_parts(exc)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        fix = odbc_fix(sqlstate, text, connecting, self.query_timeout)
        return DatabaseError(f"sql {self.description}: [{sqlstate}] {text} — {fix}", sqlstate)


CONNECTION_LOST = frozenset({"08S01", "08S02", "08003", "08007"})
# SQL Server's datetimeoffset, which pyodbc hands over as the driver's raw structure.
SQL_SS_TIMESTAMPOFFSET = -155
_TIMESTAMPOFFSET = struct.Struct("<6hI2h")


def _datetimeoffset(raw: bytes | None) -> datetime | None:
    if raw is None:
        return None
    year, month, day, hour, minute, second, nanos, tz_hour, tz_minute = \
        _TIMESTAMPOFFSET.unpack(raw)
    zone = timezone(timedelta(hours=tz_hour, minutes=tz_minute))
    return datetime(year, month, day, hour, minute, second, nanos // 1000, tzinfo=zone)
_environment_lock = threading.Lock()


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    if not values:
        yield
        return
    with _environment_lock:
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


_READ_ONLY_DRIVERS = re.compile(r"odbc driver \d+ for sql server|sql server native client",
                                re.IGNORECASE)


def with_read_only_intent(text: str) -> str:
    """Add ``ApplicationIntent=ReadOnly`` for Microsoft's SQL Server drivers, unless set.

    Read-only intent lets an availability group route the plugin to a readable secondary and
    keeps it off the primary's write path; an explicit ``ApplicationIntent`` is kept.
    """
    parts = parse_connection_string(text)
    if "applicationintent" in parts or not _READ_ONLY_DRIVERS.search(parts.get("driver", "")):
        return text
    return text.rstrip().rstrip(";") + ";ApplicationIntent=ReadOnly"


def import_pyodbc() -> Any:
    """Import pyodbc, or raise a :class:`DatabaseError` that says what to install."""
    try:
        import pyodbc
    except ImportError as exc:
        if "libodbc" in str(exc):
            raise DatabaseError(
                "sql: pyodbc cannot load the unixODBC library (libodbc.so.2) — install unixODBC "
                "(Debian/Ubuntu: apt-get install unixodbc; RHEL: dnf install unixODBC)"
            ) from None
        raise DatabaseError("sql: pyodbc is not installed — pip install pyodbc") from None
    return pyodbc


# Drivers prefix each message with "[SQLSTATE] [vendor][driver][data source]"; the text after
# the prefix may hold brackets of its own (OpenSSL's reason), which are kept.
_PREFIX_RE = re.compile(r"^\s*(?:\[[^\]]*\]\s*)+")
# ... and end it with the native error (0 or -1 carry nothing) and the ODBC call.
_CALL_RE = re.compile(r"(?:\s*\((?:0|-1)\))?\s*\((SQL\w+)\)\s*$")


_SQLSTATE_RE = re.compile(r"^[0-9A-Z]{5}$")


def _odbc_error_parts(exc: Exception) -> tuple[str, str]:
    # pyodbc puts the SQLSTATE first, except in errors it raises itself (text first).
    args = [str(a) for a in exc.args]
    if len(args) > 1 and not _SQLSTATE_RE.match(args[0]) and _SQLSTATE_RE.match(args[1]):
        args[0], args[1] = args[1], args[0]
    sqlstate = args[0] if len(args) > 1 else "HY000"
    text = args[1] if len(args) > 1 else args[0] if args else str(exc)
    parts = [_CALL_RE.sub("", _PREFIX_RE.sub("", piece)).strip() for piece in text.split(";")]
    seen = list(dict.fromkeys(p for p in parts if p))
    return sqlstate, redact(" ".join(" ".join(seen).split())) or "no message from the driver"


def odbc_fix(sqlstate: str, text: str, connecting: bool, query_timeout: int) -> str:
    """The fix to suggest for a driver error."""
    lowered = text.lower()
    missing = ("can't open lib" in lowered or "data source name not found" in lowered)
    if missing or sqlstate == "IM002":
        return ("the ODBC driver named in DRIVER= is not installed — install it (e.g. Microsoft "
                "ODBC Driver 18 for SQL Server) or correct the name")
    if "certificate" in lowered or "ssl provider" in lowered:
        return ("the client does not trust the server's TLS certificate: add its CA to the "
                "client's trust store (or SSL_CERT_FILE), and name the server in SERVER= as "
                "the certificate does (or set HostNameInCertificate=)")
    if "encryption not supported" in lowered:
        return ("the server offers no TLS: install a certificate on SQL Server, or set "
                "Encrypt=no only where the network may see the traffic")
    if "cannot open database" in lowered:
        return ("check that DATABASE= names the site database (CM_<site code>) and that the "
                "login has a user in it")
    if sqlstate == "28000" or "login failed" in lowered:
        return "check the user and password (or Windows account) in sql"
    if "permission" in lowered or "denied" in lowered:
        return "grant the login SELECT on the site database (db_datareader)"
    if sqlstate.startswith("42S"):
        return "check that DATABASE= names the site database (CM_<site code>)"
    if sqlstate in ("HYT00", "HYT01") and not connecting:
        return f"the query ran past {query_timeout} s — raise sql_query_timeout"
    if sqlstate in CONNECTION_LOST and not connecting:
        return ("the server closed the connection mid-query: check the SQL Server error log "
                "and the network, then run again")
    if connecting or sqlstate.startswith("08") or sqlstate.startswith("HYT"):
        return ("check SERVER= and the port, that the server is reachable, and "
                "sql_login_timeout")
    if sqlstate.startswith("42"):
        return ("the server refused the statement: if it is one of pytest-cmaad's own queries, "
                "report it with the SQL Server version")
    return "check the connection string in sql"


_KV_RE = re.compile(r"\s*([^=;]+?)\s*=\s*(\{(?:[^}]|\}\})*\}|[^;]*)\s*(?:;|$)")


def parse_connection_string(text: str) -> dict[str, str]:
    """Split an ODBC connection string into lower-cased keys and their values."""
    return {m.group(1).lower(): m.group(2).strip().strip("{}") for m in _KV_RE.finditer(text)}


def describe_connection_string(text: str) -> str:
    """Name the database without credentials, e.g. ``cm-sql01/CM_PS1``."""
    parts = parse_connection_string(text)
    server = parts.get("server") or parts.get("address") or parts.get("addr")
    database = parts.get("database") or parts.get("initial catalog")
    if server:
        return f"{server}/{database}" if database else server
    if database:
        return Path(database).name
    return parts.get("dsn", "(connection string)")


def _secret_values(text: str) -> list[str]:
    parts = parse_connection_string(text)
    return [v for k, v in parts.items() if k in ("pwd", "password") and v]
