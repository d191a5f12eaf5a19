"""A TDS 7.4 server on loopback that serves a SQLite database to real SQL Server clients.

It answers what Microsoft's ODBC Driver 18 sends for reads: PRELOGIN (plain, TLS carried in
PRELOGIN, or TLS first for ``Encrypt=strict``), LOGIN7, SQL batches, the RPCs behind
parameterized statements (``sp_prepexec``, ``sp_prepare``/``sp_execute``, ``sp_unprepare``,
``sp_executesql``), the driver's catalog calls (``sp_datatype_info_100``,
``sp_describe_undeclared_parameters``), transaction-manager requests and attentions.
Everything it receives is recorded; anything but a read is refused with SQL Server's error.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import tokens as t
from .backend import Executed, Faults, Interrupted, ServerError, SqliteBackend
from .columns import BIT, ConversionError, SqlType, int_type, nvarchar
from .record import ConnectionRecord, LoginRecord, RequestRecord, ServerRecord
from .requests import (
    ENCRYPT_NOT_SUP,
    ENCRYPT_OFF,
    ENCRYPT_ON,
    F_EXTENSION,
    PRELOGIN_ENCRYPTION,
    PRELOGIN_INSTOPT,
    PRELOGIN_MARS,
    PRELOGIN_THREADID,
    PRELOGIN_VERSION,
    Login,
    Param,
    ProtocolError,
    RpcCall,
    batch_text,
    build_prelogin,
    parse_login7,
    parse_prelogin,
    parse_rpc,
    parse_transaction,
)
from .typemap import TypeCatalog
from .wire import (
    ATTENTION,
    LOGIN7,
    PRELOGIN,
    REPLY,
    RPC,
    SQL_BATCH,
    STATUS_RESET_CONNECTION,
    TLS_HANDSHAKE_RECORD,
    TRANSACTION,
    ConnectionClosed,
    Transport,
)

DEFAULT_PACKET_SIZE = 4096
_HANDSHAKE_TIMEOUT = 30.0


@dataclass(frozen=True)
class TlsFiles:
    """The server's certificate (with its chain) and key, as PEM files."""

    certificate: Path
    key: Path


def _tls_contexts(files: TlsFiles) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    # With TLS 1.3 inside PRELOGIN the driver's handshake hangs, so that path stays at 1.2;
    # TDS 8 (TLS first) negotiates 1.3 with the ALPN id "tds/8.0".
    wrapped = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    wrapped.maximum_version = ssl.TLSVersion.TLSv1_2
    strict = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    strict.minimum_version = ssl.TLSVersion.TLSv1_2
    strict.set_alpn_protocols(["tds/8.0"])
    for context in (wrapped, strict):
        context.num_tickets = 0
        context.load_cert_chain(files.certificate, files.key)
    return wrapped, strict


class TdsServer:
    """Serve ``database`` over TDS on ``host`` (a kernel-chosen port) until :meth:`stop`.

    :param database: the SQLite file, opened read-only by every connection.
    :param user: the SQL login that may connect.
    :param password: its password.
    :param attach: further SQLite files by schema name (``INFORMATION_SCHEMA``).
    :param tls: certificate and key; without them the server does not offer encryption.
    :param database_name: the database's name (``DATABASE=``).
    :param faults: fault knobs; change them at any time, each statement reads them anew.
    """

    def __init__(
        self,
        database: Path,
        *,
        user: str,
        password: str,
        attach: Mapping[str, Path] | None = None,
        tls: TlsFiles | None = None,
        database_name: str = "CM_LAB",
        faults: Faults | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.database = database
        self.attach = dict(attach or {})
        self.user = user
        self.password = password
        self.database_name = database_name
        self.faults = faults or Faults()
        self.record = ServerRecord()
        self.catalog = TypeCatalog.from_sqlite(database, self.attach)
        self.tls = tls
        self._contexts = _tls_contexts(tls) if tls else None
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.2)
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._sessions: list[Session] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name=f"tds-{self.port}",
                                        daemon=True)

    @property
    def wrapped_context(self) -> ssl.SSLContext | None:
        """TLS carried in PRELOGIN (TDS 7.x)."""
        return self._contexts[0] if self._contexts else None

    @property
    def strict_context(self) -> ssl.SSLContext | None:
        """TLS first (TDS 8.0, ``Encrypt=strict``)."""
        return self._contexts[1] if self._contexts else None

    def start(self) -> TdsServer:
        """Start accepting connections."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every connection, and wait for the threads."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        if self._thread.is_alive():
            self._thread.join(5)
        with self._lock:
            sessions = list(self._sessions)
        for session in sessions:
            session.transport.close()
        for session in sessions:
            session.thread.join(5)

    def __enter__(self) -> TdsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        spid = 51
        while not self._stopping.is_set():
            try:
                sock, _peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            session = Session(self, sock, self.record.open(), spid)
            spid += 1
            with self._lock:
                self._sessions = [s for s in self._sessions if s.thread.is_alive()]
                self._sessions.append(session)
            session.thread.start()


class _Dropped(Exception):
    """The fault knob broke the connection off."""


class Session:
    """One client connection, served on its own thread."""

    def __init__(self, server: TdsServer, sock: socket.socket, record: ConnectionRecord,
                 spid: int) -> None:
        self.server = server
        self.transport = Transport(sock)
        self.record = record
        self.spid = spid
        self.packet_size = DEFAULT_PACKET_SIZE
        self.thread = threading.Thread(target=self.run, name=f"tds-session-{spid}",
                                       daemon=True)
        self._backend: SqliteBackend | None = None
        self._pushback: list[tuple[int, int, bytes]] = []
        self._cancelled = False
        self._prepared: dict[int, tuple[str, str]] = {}
        self._metadata: dict[int, list[SqlType]] = {}
        self._next_handle = 1
        self._transaction = 0

    # -- connection ------------------------------------------------------------------------

    def run(self) -> None:
        """Serve the connection until the client or the server closes it."""
        try:
            self.transport.sock.settimeout(_HANDSHAKE_TIMEOUT)
            if self._handshake():
                self.transport.sock.settimeout(None)
                self._serve()
        except (ConnectionClosed, _Dropped, OSError, ssl.SSLError, ProtocolError, struct.error,
                UnicodeDecodeError):
            pass
        finally:
            self.transport.close()
            if self._backend is not None:
                self._backend.close()

    def _reply(self, payload: bytes) -> None:
        self.transport.send_message(REPLY, payload, self.packet_size, self.spid)

    def _handshake(self) -> bool:
        first = self.transport.first_byte()
        if first is None:
            return False
        strict = first == TLS_HANDSHAKE_RECORD
        if strict:
            if self.server.strict_context is None:
                return False
            self.transport.start_tls_first(self.server.strict_context)
            self.record.encryption = "strict"
        kind, _status, payload = self.transport.read_message()
        if kind != PRELOGIN:
            return False
        options = parse_prelogin(payload)
        client = options.get(PRELOGIN_ENCRYPTION, bytes((ENCRYPT_NOT_SUP,)))[0]
        self.record.client_encryption = client
        answer = self._encryption_answer(client, strict)
        self._reply(build_prelogin([
            (PRELOGIN_VERSION, t.SERVER_VERSION + b"\x00\x00"),
            (PRELOGIN_ENCRYPTION, bytes((answer,))),
            (PRELOGIN_INSTOPT, b"\x00"),
            (PRELOGIN_THREADID, b""),
            (PRELOGIN_MARS, b"\x00"),
        ]))
        login_only = False
        context = self.server.wrapped_context
        if context is not None and answer in (ENCRYPT_ON, ENCRYPT_OFF):
            self.transport.start_tls_in_prelogin(context)
            login_only = answer == ENCRYPT_OFF
            self.record.encryption = "login-only" if login_only else "on"
        self.record.tls_version = self.transport.tls_version
        self.record.alpn = self.transport.alpn
        kind, _status, payload = self.transport.read_message()
        if kind != LOGIN7:
            return False
        if login_only:
            self.transport.stop_tls()
        return self._login(parse_login7(payload))

    def _encryption_answer(self, client: int, strict: bool) -> int:
        if strict or self.server.wrapped_context is None or client == ENCRYPT_NOT_SUP:
            return ENCRYPT_NOT_SUP
        return ENCRYPT_OFF if client == ENCRYPT_OFF else ENCRYPT_ON

    def _login(self, login: Login) -> bool:
        server = self.server
        record = LoginRecord(
            user=login.user, database=login.database, app_name=login.app_name,
            host_name=login.host_name, library=login.library, tds_version=login.tds_version,
            packet_size=login.packet_size, read_only_intent=login.read_only_intent,
            features=list(login.features), accepted=False)
        self.record.login = record
        failed = t.message(18456, f"Login failed for user '{login.user}'.", 14)
        if (login.user.lower() != server.user.lower() or login.password != server.password
                or server.faults.wrong_password):
            record.error = 18456
            self._reply(failed + t.done(t.DONE_ERROR, 0))
            return False
        wanted = login.database or server.database_name
        if wanted.lower() != server.database_name.lower():
            record.error = 4060
            self._reply(t.message(4060, f'Cannot open database "{wanted}" requested by the '
                                        "login. The login failed.", 11)
                        + failed + t.done(t.DONE_ERROR, 0))
            return False
        record.accepted = True
        if login.packet_size:
            self.packet_size = min(max(login.packet_size, 512), 32767)
        name = server.database_name
        self._reply(
            t.env_text(t.ENV_DATABASE, name, "master")
            + t.message(5701, f"Changed database context to '{name}'.", 0, 2, info=True)
            + t.env_collation()
            + t.env_text(t.ENV_LANGUAGE, "us_english", "")
            + t.message(5703, "Changed language setting to us_english.", 0, info=True)
            + t.loginack()
            + t.env_text(t.ENV_PACKET_SIZE, str(self.packet_size), str(DEFAULT_PACKET_SIZE))
            + (t.featureextack() if login.option_flags3 & F_EXTENSION else b"")
            + t.done(t.DONE_FINAL, 0))
        self._backend = SqliteBackend(server.database, server.attach, server.catalog,
                                      server.faults, name)
        return True

    # -- requests --------------------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            kind, status, payload = (self._pushback.pop(0) if self._pushback
                                     else self.transport.read_message())
            prefix = t.env_reset_ack() if status & STATUS_RESET_CONNECTION else b""
            if kind == ATTENTION:
                self.record.requests.append(RequestRecord("attention", outcome="ok"))
                self._reply(t.done(t.DONE_ATTN, 0))
            elif kind == TRANSACTION:
                self._reply(prefix + self._transaction_request(payload))
            elif kind in (SQL_BATCH, RPC):
                try:
                    body = (self._batch(payload) if kind == SQL_BATCH else self._rpc(payload))
                except Interrupted:
                    self._cancelled = False
                    self._reply(t.done(t.DONE_ATTN, 0))
                    continue
                except ProtocolError as exc:
                    body = self._undecodable(str(exc))
                self._reply(prefix + body)
            else:
                return

    def _undecodable(self, detail: str) -> bytes:
        self.record.requests.append(RequestRecord("rpc", outcome="error 8009"))
        return (t.message(8009, "The incoming tabular data stream (TDS) remote procedure call "
                                f"(RPC) protocol stream is incorrect: {detail}.", 16)
                + t.done(t.DONE_ERROR, 0))

    def _attention(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for an attention; other early messages wait their turn."""
        if self._cancelled:
            return True
        if not self.transport.has_data(timeout):
            return False
        message = self.transport.read_message()
        if message[0] == ATTENTION:
            self._cancelled = True
            return True
        self._pushback.append(message)
        return False

    def _execute(self, request: RequestRecord, sql: str, params: dict[str, Any],
                 types: list[SqlType] | None = None) -> Executed:
        assert self._backend is not None
        request.sql = sql
        request.params = [_shown(v) for v in params.values()]
        self.record.requests.append(request)
        try:
            return self._backend.execute(sql, params, self._attention, types)
        except Interrupted:
            request.outcome = "cancelled"
            raise

    def _result(self, request: RequestRecord, result: Executed, no_metadata: bool) -> bytes:
        """COLMETADATA and ROWs; breaks the connection off when the fault knob says so."""
        if not result.names:
            request.outcome = "ok"
            return b""
        head = t.NO_METADATA if no_metadata else t.colmetadata(
            [t.ColumnHead(n, ty.type_info()) for n, ty in zip(result.names, result.types,
                                                              strict=True)])
        try:
            rows = b"".join(t.row([ty.encode(v) for ty, v in zip(result.types, r, strict=True)])
                            for r in result.rows)
        except ConversionError as exc:
            raise ServerError(exc.number, 16, exc.text) from None
        request.outcome = f"rows {len(result.rows)}"
        if result.drop:
            request.outcome = "dropped"
            body = head + rows
            cut = max(1, min(len(body) // 2, self.packet_size - 8))
            self.transport.send_message(REPLY, body[:cut], self.packet_size, self.spid,
                                        complete=False)
            raise _Dropped
        return head + rows

    def _error(self, request: RequestRecord, error: ServerError) -> bytes:
        request.outcome = f"error {error.number}"
        return t.message(error.number, error.text, error.severity, error.state)

    def _batch(self, payload: bytes) -> bytes:
        request = RequestRecord("batch")
        try:
            result = self._execute(request, batch_text(payload), {})
            body = self._result(request, result, no_metadata=False)
        except ServerError as exc:
            return self._error(request, exc) + t.done(t.DONE_ERROR, t.CMD_SELECT)
        if not result.names:
            return body + t.done(t.DONE_FINAL, t.CMD_SELECT)
        return body + t.done(t.DONE_COUNT, t.CMD_SELECT, len(result.rows))

    def _rpc(self, payload: bytes) -> bytes:
        return b"".join(self._call(call) for call in parse_rpc(payload))

    def _call(self, call: RpcCall) -> bytes:
        name = call.procedure.split(".")[-1].strip("[]").lower()
        handler = {
            "sp_prepexec": self._prepexec,
            "sp_prepare": self._prepare,
            "sp_execute": self._execute_prepared,
            "sp_unprepare": self._unprepare,
            "sp_executesql": self._executesql,
            "sp_datatype_info_100": self._datatype_info,
            "sp_datatype_info": self._datatype_info,
            "sp_describe_undeclared_parameters": self._describe_parameters,
        }.get(name)
        if handler is None:
            request = RequestRecord("rpc", procedure=call.procedure, outcome="error 2812")
            self.record.requests.append(request)
            return (t.message(2812, f"Could not find stored procedure '{call.procedure}'.", 16)
                    + t.done_proc(t.DONE_ERROR))
        return handler(call)

    def _statement(self, request: RequestRecord, sql: str, declaration: str,
                   values: list[Param], handle: int | None, no_metadata: bool
                   ) -> tuple[bytes, bool]:
        """Run a statement inside an RPC: its tokens up to DONEINPROC, and whether it worked."""
        declared = re.findall(r"@(\w+)", declaration or "")
        params: dict[str, Any] = {}
        for index, param in enumerate(values):
            key = param.name.lstrip("@") or (declared[index] if index < len(declared)
                                             else f"P{index + 1}")
            params[key] = param.value
        known = self._metadata.get(handle) if (handle is not None and no_metadata) else None
        try:
            result = self._execute(request, sql, params, known)
            body = self._result(request, result, no_metadata=known is not None)
        except ServerError as exc:
            return self._error(request, exc) + t.done_in_proc(t.DONE_MORE | t.DONE_ERROR), False
        if handle is not None:
            self._metadata[handle] = result.types
        if not result.names:
            return body + t.done_in_proc(t.DONE_MORE), True
        return body + t.done_in_proc(t.DONE_MORE | t.DONE_COUNT, len(result.rows)), True

    def _handle_value(self, call: RpcCall, handle: int) -> bytes:
        int4 = int_type(4)
        return t.return_value(0, call.params[0].name, int4.type_info(), int4.encode(handle))

    def _prepexec(self, call: RpcCall) -> bytes:
        handle_param, declaration, statement, *values = call.params
        handle = handle_param.value or self._new_handle()
        self._prepared[handle] = (str(statement.value), str(declaration.value or ""))
        body, ok = self._statement(RequestRecord("rpc", procedure="sp_prepexec"),
                                   str(statement.value), str(declaration.value or ""), values,
                                   handle, call.no_metadata)
        return (body + t.return_status(0) + self._handle_value(call, handle)
                + t.done_proc(t.DONE_FINAL if ok else t.DONE_ERROR))

    def _prepare(self, call: RpcCall) -> bytes:
        _handle, declaration, statement, *_options = call.params
        handle = self._new_handle()
        self._prepared[handle] = (str(statement.value), str(declaration.value or ""))
        self.record.requests.append(RequestRecord("rpc", procedure="sp_prepare",
                                                  sql=str(statement.value), outcome="ok"))
        return t.return_status(0) + self._handle_value(call, handle) + t.done_proc()

    def _execute_prepared(self, call: RpcCall) -> bytes:
        handle_param, *values = call.params
        handle = int(handle_param.value or 0)
        if handle not in self._prepared:
            self.record.requests.append(RequestRecord("rpc", procedure="sp_execute",
                                                      outcome="error 8179"))
            return (t.message(8179, f"Could not find prepared statement with handle {handle}.",
                              16) + t.done_proc(t.DONE_ERROR))
        statement, declaration = self._prepared[handle]
        body, ok = self._statement(RequestRecord("rpc", procedure="sp_execute"), statement,
                                   declaration, values, handle, call.no_metadata)
        return body + t.return_status(0) + t.done_proc(t.DONE_FINAL if ok else t.DONE_ERROR)

    def _unprepare(self, call: RpcCall) -> bytes:
        handle = int(call.params[0].value or 0) if call.params else 0
        self._prepared.pop(handle, None)
        self._metadata.pop(handle, None)
        self.record.requests.append(RequestRecord("rpc", procedure="sp_unprepare",
                                                  outcome="ok"))
        return t.return_status(0) + t.done_proc()

    def _executesql(self, call: RpcCall) -> bytes:
        statement, *rest = call.params
        declaration = str(rest[0].value or "") if rest else ""
        body, ok = self._statement(RequestRecord("rpc", procedure="sp_executesql"),
                                   str(statement.value), declaration, rest[1:], None, False)
        return body + t.return_status(0) + t.done_proc(t.DONE_FINAL if ok else t.DONE_ERROR)

    def _new_handle(self) -> int:
        handle = self._next_handle
        self._next_handle += 1
        return handle

    def _table(self, columns: list[tuple[str, SqlType]], rows: list[tuple[Any, ...]]) -> bytes:
        head = t.colmetadata([t.ColumnHead(n, ty.type_info()) for n, ty in columns])
        body = b"".join(t.row([ty.encode(v) for (_n, ty), v in zip(columns, r, strict=True)])
                        for r in rows)
        return head + body + t.done_in_proc(t.DONE_MORE | t.DONE_COUNT, len(rows))

    def _datatype_info(self, call: RpcCall) -> bytes:
        wanted = next((p.value for p in call.params if p.name.lower() == "@data_type"),
                      call.params[0].value if call.params else 0)
        rows = [r for r in _DATATYPE_ROWS if wanted in (0, None, r[1])]
        self.record.requests.append(RequestRecord(
            "rpc", procedure="sp_datatype_info_100", params=[repr(wanted)],
            outcome=f"rows {len(rows)}"))
        return self._table(_DATATYPE_COLUMNS, rows) + t.return_status(0) + t.done_proc()

    def _describe_parameters(self, call: RpcCall) -> bytes:
        text = str(call.params[0].value or "") if call.params else ""
        declared = set(re.findall(r"@(\w+)", str(call.params[1].value or ""))) if len(
            call.params) > 1 else set()
        names = [n for n in dict.fromkeys(re.findall(r"@(\w+)", text)) if n not in declared]
        rows = [_undeclared_row(index, name) for index, name in enumerate(names, start=1)]
        self.record.requests.append(RequestRecord(
            "rpc", procedure="sp_describe_undeclared_parameters", params=[repr(text)],
            outcome=f"rows {len(rows)}"))
        return self._table(_UNDECLARED_COLUMNS, rows) + t.return_status(0) + t.done_proc()

    def _transaction_request(self, payload: bytes) -> bytes:
        request = parse_transaction(payload)
        self.record.requests.append(RequestRecord("transaction", procedure=request.kind,
                                                  outcome="ok"))
        if request.kind == "begin":
            self._transaction += 1
            return t.env_begin_transaction(self._descriptor()) + t.done()
        if request.kind in ("commit", "rollback"):
            kind = t.ENV_COMMIT_TRANSACTION if request.kind == "commit" else \
                t.ENV_ROLLBACK_TRANSACTION
            tokens = t.env_end_transaction(kind, self._descriptor())
            if request.begin_again:
                self._transaction += 1
                tokens += t.env_begin_transaction(self._descriptor())
            return tokens + t.done()
        return t.done()

    def _descriptor(self) -> bytes:
        return struct.pack("<Q", (self.spid << 32) | self._transaction)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"


_SYSNAME = nvarchar(128)
_SMALLINT = int_type(2)
_INT = int_type(4)
_TEXT32 = nvarchar(32)

_DATATYPE_COLUMNS: list[tuple[str, SqlType]] = [
    ("TYPE_NAME", _SYSNAME), ("DATA_TYPE", _SMALLINT), ("PRECISION", _INT),
    ("LITERAL_PREFIX", _TEXT32), ("LITERAL_SUFFIX", _TEXT32), ("CREATE_PARAMS", _TEXT32),
    ("NULLABLE", _SMALLINT), ("CASE_SENSITIVE", _SMALLINT), ("SEARCHABLE", _SMALLINT),
    ("UNSIGNED_ATTRIBUTE", _SMALLINT), ("MONEY", _SMALLINT), ("AUTO_INCREMENT", _SMALLINT),
    ("LOCAL_TYPE_NAME", _SYSNAME), ("MINIMUM_SCALE", _SMALLINT), ("MAXIMUM_SCALE", _SMALLINT),
    ("SQL_DATA_TYPE", _SMALLINT), ("SQL_DATETIME_SUB", _SMALLINT), ("NUM_PREC_RADIX", _INT),
    ("INTERVAL_PRECISION", _SMALLINT), ("USERTYPE", _SMALLINT),
]
# The rows SQL Server returns for the four types pyodbc asks about at connect: they set the
# longest varchar, nvarchar and varbinary parameter and the precision of datetime parameters.
_DATATYPE_ROWS: list[tuple[Any, ...]] = [
    ("varchar", 12, 8000, "'", "'", "max length", 1, 0, 3, None, 0, None, "varchar", None,
     None, 12, None, None, None, 2),
    ("nvarchar", -9, 4000, "N'", "'", "max length", 1, 0, 3, None, 0, None, "nvarchar", None,
     None, -9, None, None, None, 0),
    ("varbinary", -3, 8000, "0x", "'", "max length", 1, 0, 2, None, 0, None, "varbinary",
     None, None, -3, None, None, None, 4),
    ("datetime2", 93, 27, "'", "'", "scale", 1, 0, 3, None, 0, None, "datetime2", 0, 7, 9, 3,
     None, None, 0),
    ("datetime", 93, 23, "'", "'", None, 1, 0, 3, None, 0, 0, "datetime", 3, 3, 9, 3, None,
     None, 12),
]

_UNDECLARED_COLUMNS: list[tuple[str, SqlType]] = [
    ("parameter_ordinal", _INT), ("name", _SYSNAME), ("suggested_system_type_id", _INT),
    ("suggested_system_type_name", nvarchar(256)), ("suggested_max_length", _SMALLINT),
    ("suggested_precision", int_type(1)), ("suggested_scale", int_type(1)),
    ("suggested_user_type_id", _INT), ("suggested_user_type_database", _SYSNAME),
    ("suggested_user_type_schema", _SYSNAME), ("suggested_user_type_name", _SYSNAME),
    ("suggested_assembly_qualified_type_name", nvarchar(4000)),
    ("suggested_xml_collection_id", _INT), ("suggested_xml_collection_database", _SYSNAME),
    ("suggested_xml_collection_schema", _SYSNAME), ("suggested_xml_collection_name", _SYSNAME),
    ("suggested_is_xml_document", BIT), ("suggested_is_case_sensitive", BIT),
    ("suggested_is_fixed_length_clr_type", BIT), ("suggested_is_input", BIT),
    ("suggested_is_output", BIT), ("formal_parameter_name", _SYSNAME),
    ("suggested_tds_type_id", _INT), ("suggested_tds_length", _INT),
]


def _undeclared_row(ordinal: int, name: str) -> tuple[Any, ...]:
    """An undeclared parameter suggested as nvarchar(4000), whatever it is compared with."""
    return (ordinal, f"@{name}", 231, "nvarchar(4000)", 8000, 0, 0, 231, None, None, None,
            None, None, None, None, None, False, False, False, True, False, None, 231, 8000)
