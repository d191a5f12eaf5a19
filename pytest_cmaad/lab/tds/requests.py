"""Client-to-server TDS messages, decoded: PRELOGIN, LOGIN7, SQLBatch, RPC (with typed
parameter values) and transaction-manager requests.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

PRELOGIN_VERSION = 0x00
PRELOGIN_ENCRYPTION = 0x01
PRELOGIN_INSTOPT = 0x02
PRELOGIN_THREADID = 0x03
PRELOGIN_MARS = 0x04

ENCRYPT_OFF = 0
ENCRYPT_ON = 1
ENCRYPT_NOT_SUP = 2
ENCRYPT_REQ = 3

READ_ONLY_INTENT = 0x20
F_EXTENSION = 0x10

PROCEDURES = {
    1: "sp_cursor", 2: "sp_cursoropen", 3: "sp_cursorprepare", 4: "sp_cursorexecute",
    5: "sp_cursorprepexec", 6: "sp_cursorunprepare", 7: "sp_cursorfetch",
    8: "sp_cursoroption", 9: "sp_cursorclose", 10: "sp_executesql", 11: "sp_prepare",
    12: "sp_execute", 13: "sp_prepexec", 14: "sp_prepexecrpc", 15: "sp_unprepare",
}
TM_NAMES = {0: "get-dtc-address", 1: "propagate", 5: "begin", 6: "promote", 7: "commit",
            8: "rollback", 9: "save"}


class ProtocolError(Exception):
    """A message this server cannot decode."""


# -- PRELOGIN -------------------------------------------------------------------------------


def parse_prelogin(payload: bytes) -> dict[int, bytes]:
    """The PRELOGIN options by their token number."""
    options: dict[int, bytes] = {}
    pos = 0
    while pos < len(payload) and payload[pos] != 0xFF:
        token, offset, length = struct.unpack_from(">BHH", payload, pos)
        options[token] = payload[offset:offset + length]
        pos += 5
    return options


def build_prelogin(options: list[tuple[int, bytes]]) -> bytes:
    """A PRELOGIN message from (token, data) pairs, in order."""
    head = bytearray()
    body = bytearray()
    offset = 5 * len(options) + 1
    for token, data in options:
        head += struct.pack(">BHH", token, offset + len(body), len(data))
        body += data
    return bytes(head + b"\xff" + body)


# -- LOGIN7 ---------------------------------------------------------------------------------


@dataclass
class Login:
    """What LOGIN7 carried (the password decoded, for the server to compare)."""

    tds_version: int
    packet_size: int
    type_flags: int
    option_flags3: int
    host_name: str
    user: str
    password: str
    app_name: str
    server_name: str
    library: str
    language: str
    database: str
    features: list[int] = field(default_factory=list)

    @property
    def read_only_intent(self) -> bool:
        """``ApplicationIntent=ReadOnly``."""
        return bool(self.type_flags & READ_ONLY_INTENT)


def _decode_password(data: bytes) -> str:
    clear = bytes((((b ^ 0xA5) << 4) & 0xF0) | (((b ^ 0xA5) >> 4) & 0x0F) for b in data)
    return clear.decode("utf-16-le", errors="replace")


def parse_login7(payload: bytes) -> Login:
    """Decode LOGIN7 (TDS 7.x fixed part, variable strings, FeatureExt ids)."""
    if len(payload) < 94:
        raise ProtocolError("LOGIN7 is too short")
    tds_version, packet_size = struct.unpack_from("<II", payload, 4)
    _flags1, _flags2, type_flags, flags3 = struct.unpack_from("<BBBB", payload, 24)

    def text(index: int, secret: bool = False) -> str:
        offset, chars = struct.unpack_from("<HH", payload, 36 + 4 * index)
        data = payload[offset:offset + 2 * chars]
        return _decode_password(data) if secret else data.decode("utf-16-le", errors="replace")

    login = Login(
        tds_version=tds_version, packet_size=packet_size, type_flags=type_flags,
        option_flags3=flags3, host_name=text(0), user=text(1), password=text(2, secret=True),
        app_name=text(3), server_name=text(4), library=text(6), language=text(7),
        database=text(8))
    if flags3 & F_EXTENSION:
        offset, length = struct.unpack_from("<HH", payload, 36 + 4 * 5)
        if length >= 4:
            (pos,) = struct.unpack_from("<I", payload, offset)
            while pos < len(payload) and payload[pos] != 0xFF:
                feature, size = struct.unpack_from("<BI", payload, pos)
                login.features.append(feature)
                pos += 5 + size
    return login


# -- requests -------------------------------------------------------------------------------


def skip_all_headers(payload: bytes) -> int:
    """The position after ALL_HEADERS (TDS 7.2+ requests start with it)."""
    if len(payload) < 4:
        return 0
    (total,) = struct.unpack_from("<I", payload, 0)
    return total if 4 <= total <= len(payload) else 0


def batch_text(payload: bytes) -> str:
    """The SQL text of a SQLBatch."""
    return payload[skip_all_headers(payload):].decode("utf-16-le", errors="replace")


@dataclass(frozen=True)
class Transaction:
    """A transaction-manager request."""

    kind: str
    begin_again: bool


def parse_transaction(payload: bytes) -> Transaction:
    """Decode a transaction-manager request (begin, commit, rollback, ...)."""
    pos = skip_all_headers(payload)
    (request,) = struct.unpack_from("<H", payload, pos)
    pos += 2
    begin_again = False
    if request in (7, 8):
        name_chars = payload[pos]
        pos += 1 + 2 * name_chars
        begin_again = pos < len(payload) and bool(payload[pos])
    return Transaction(TM_NAMES.get(request, f"request {request}"), begin_again)


@dataclass
class Param:
    """One RPC parameter: its name, whether it is an output, and its decoded value."""

    name: str
    output: bool
    value: Any
    type_code: int


@dataclass
class RpcCall:
    """One RPC: the procedure (by name), its option flags and parameters."""

    procedure: str
    flags: int
    params: list[Param]

    @property
    def no_metadata(self) -> bool:
        """The client already has the result's metadata (fNoMetaData)."""
        return bool(self.flags & 0x02)


class _Reader:
    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise ProtocolError("RPC request ends early")
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def b_varchar(self) -> str:
        return self.take(2 * self.byte()).decode("utf-16-le")

    def plp(self) -> bytes | None:
        total = self.unpack("<Q")
        if total == 0xFFFFFFFFFFFFFFFF:
            return None
        parts: list[bytes] = []
        while True:
            size = self.unpack("<I")
            if size == 0:
                return b"".join(parts)
            parts.append(self.take(size))


def parse_rpc(payload: bytes) -> list[RpcCall]:
    """Every RPC in the request (usually one)."""
    reader = _Reader(payload, skip_all_headers(payload))
    calls = []
    while reader.pos < len(payload):
        size = reader.unpack("<H")
        if size == 0xFFFF:
            proc_id = reader.unpack("<H")
            name = PROCEDURES.get(proc_id, f"procedure {proc_id}")
        else:
            name = reader.take(2 * size).decode("utf-16-le")
        flags = reader.unpack("<H")
        params = []
        while reader.pos < len(payload) and payload[reader.pos] not in (0xFE, 0xFF):
            param_name = reader.b_varchar()
            status = reader.byte()
            code, read_value = _type_info(reader)
            params.append(Param(param_name, bool(status & 0x01), read_value(reader), code))
        calls.append(RpcCall(name, flags, params))
        if reader.pos < len(payload):
            reader.pos += 1
    return calls


# -- parameter types ------------------------------------------------------------------------

ValueReader = Callable[[_Reader], Any]

_FIXED: dict[int, tuple[str, int]] = {
    0x1F: ("", 0), 0x30: ("<B", 1), 0x32: ("<B", 1), 0x34: ("<h", 2), 0x38: ("<i", 4),
    0x7F: ("<q", 8), 0x3B: ("<f", 4), 0x3E: ("<d", 8),
}


def _days(count: int, epoch: date) -> date:
    return epoch + timedelta(days=count)


def _time_of(units: int, scale: int) -> time:
    micros = units * 1_000_000 // 10**scale
    return (datetime.min + timedelta(microseconds=micros)).time()


def _nullable(reader: _Reader, decode: Callable[[bytes], Any]) -> Any:
    size = reader.byte()
    return None if size == 0 else decode(reader.take(size))


def _legacy_datetime(data: bytes) -> datetime:
    if len(data) == 4:
        days, minutes = struct.unpack("<HH", data)
        return datetime(1900, 1, 1) + timedelta(days=days, minutes=minutes)
    days, ticks = struct.unpack("<iI", data)
    return datetime(1900, 1, 1) + timedelta(days=days, milliseconds=round(ticks * 10 / 3))


def _datetime2(data: bytes, scale: int) -> datetime:
    day = _days(int.from_bytes(data[-3:], "little"), date(1, 1, 1))
    return datetime.combine(day, _time_of(int.from_bytes(data[:-3], "little"), scale))


def _datetimeoffset(data: bytes, scale: int) -> datetime:
    (offset,) = struct.unpack("<h", data[-2:])
    utc = _datetime2(data[:-2], scale).replace(tzinfo=timezone.utc)
    return utc.astimezone(timezone(timedelta(minutes=offset)))


def _money(data: bytes) -> Decimal:
    # money is two 4-byte halves, the high one first; smallmoney is one 4-byte integer.
    ordered = data[4:8] + data[0:4] if len(data) == 8 else data
    return Decimal(int.from_bytes(ordered, "little", signed=True)).scaleb(-4)


def _decimal(data: bytes, scale: int) -> Decimal:
    magnitude = int.from_bytes(data[1:], "little")
    return Decimal(magnitude if data[0] else -magnitude).scaleb(-scale)


def _type_info(reader: _Reader) -> tuple[int, ValueReader]:
    """Read TYPE_INFO; return the type code and how to read a value of it."""
    code = reader.byte()
    if code in _FIXED:
        fmt, size = _FIXED[code]
        if code == 0x1F:
            return code, lambda r: None
        if code == 0x32:
            return code, lambda r: bool(r.take(1)[0])
        return code, lambda r: struct.unpack(fmt, r.take(size))[0]
    if code in (0x3A, 0x3D):
        return code, lambda r: _legacy_datetime(r.take(4 if code == 0x3A else 8))
    if code in (0x3C, 0x7A):
        return code, lambda r: _money(r.take(8 if code == 0x3C else 4))
    if code in (0x26, 0x68, 0x6D, 0x24, 0x6F, 0x6E):
        reader.byte()
        decoders: dict[int, Callable[[bytes], Any]] = {
            0x26: lambda d: int.from_bytes(d, "little", signed=len(d) > 1),
            0x68: lambda d: bool(d[0]),
            0x6D: lambda d: struct.unpack("<f" if len(d) == 4 else "<d", d)[0],
            0x24: lambda d: uuid.UUID(bytes_le=d),
            0x6F: _legacy_datetime,
            0x6E: _money,
        }
        decode = decoders[code]
        return code, lambda r: _nullable(r, decode)
    if code == 0x28:
        return code, lambda r: _nullable(
            r, lambda d: _days(int.from_bytes(d, "little"), date(1, 1, 1)))
    if code in (0x29, 0x2A, 0x2B):
        scale = reader.byte()
        makers: dict[int, Callable[[bytes], Any]] = {
            0x29: lambda d: _time_of(int.from_bytes(d, "little"), scale),
            0x2A: lambda d: _datetime2(d, scale),
            0x2B: lambda d: _datetimeoffset(d, scale),
        }
        make = makers[code]
        return code, lambda r: _nullable(r, make)
    if code in (0x6A, 0x6C, 0x37, 0x3F):
        reader.byte()
        reader.byte()
        scale = reader.byte()
        return code, lambda r: _nullable(r, lambda d: _decimal(d, scale))
    if code in (0xA7, 0xAF, 0xE7, 0xEF, 0xA5, 0xAD):
        size = reader.unpack("<H")
        if code in (0xA7, 0xAF, 0xE7, 0xEF):
            reader.take(5)
        text = code in (0xE7, 0xEF)
        binary = code in (0xA5, 0xAD)

        def read_short(r: _Reader) -> Any:
            if size == 0xFFFF:
                data = r.plp()
            else:
                length = r.unpack("<H")
                data = None if length == 0xFFFF else r.take(length)
            if data is None or binary:
                return data
            return data.decode("utf-16-le") if text else data.decode("cp1252")

        return code, read_short
    if code in (0x23, 0x63, 0x22):
        reader.unpack("<I")
        if code != 0x22:
            reader.take(5)

        def read_long(r: _Reader) -> Any:
            length = r.unpack("<I")
            if length == 0xFFFFFFFF:
                return None
            data = r.take(length)
            if code == 0x22:
                return data
            return data.decode("utf-16-le" if code == 0x63 else "cp1252")

        return code, read_long
    if code == 0xF1:
        if reader.byte():
            reader.b_varchar()
            reader.b_varchar()
            reader.take(2 * reader.unpack("<H"))

        def read_xml(r: _Reader) -> Any:
            data = r.plp()
            return None if data is None else data.decode("utf-16-le")

        return code, read_xml
    raise ProtocolError(f"parameter type 0x{code:02X} is not supported by the lab server")
