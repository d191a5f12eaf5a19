"""Server-to-client TDS tokens: login acknowledgement, environment changes, messages, results
and completion, as byte strings ready to be put into a reply message.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

SERVER_NAME = "CM-LAB-SQL"
SERVER_VERSION = bytes((16, 0, 0x03, 0xE8))  # 16.0.1000, SQL Server 2022
# SQL_Latin1_General_CP1_CI_AS, the default collation of a ConfigMgr site database.
COLLATION = bytes.fromhex("0904D00034")

DONE_FINAL = 0x00
DONE_MORE = 0x01
DONE_ERROR = 0x02
DONE_COUNT = 0x10
DONE_ATTN = 0x20

CMD_SELECT = 0xC1
CMD_EXECUTE = 0xE0

ENV_DATABASE = 1
ENV_LANGUAGE = 2
ENV_PACKET_SIZE = 4
ENV_COLLATION = 7
ENV_BEGIN_TRANSACTION = 8
ENV_COMMIT_TRANSACTION = 9
ENV_ROLLBACK_TRANSACTION = 10
ENV_RESET_ACK = 18


def b_varchar(text: str) -> bytes:
    """A string with a one-byte character count."""
    data = text.encode("utf-16-le")
    return bytes((len(data) // 2,)) + data


def us_varchar(text: str) -> bytes:
    """A string with a two-byte character count."""
    data = text.encode("utf-16-le")
    return struct.pack("<H", len(data) // 2) + data


def _b_varbyte(data: bytes) -> bytes:
    return bytes((len(data),)) + data


def envchange(kind: int, new: bytes, old: bytes) -> bytes:
    """ENVCHANGE with values already encoded (B_VARCHAR or B_VARBYTE)."""
    body = bytes((kind,)) + new + old
    return b"\xe3" + struct.pack("<H", len(body)) + body


def env_text(kind: int, new: str, old: str) -> bytes:
    """ENVCHANGE of a textual setting (database, language, packet size)."""
    return envchange(kind, b_varchar(new), b_varchar(old))


def env_collation() -> bytes:
    """ENVCHANGE announcing the database collation."""
    return envchange(ENV_COLLATION, _b_varbyte(COLLATION), b"\x00")


def env_begin_transaction(descriptor: bytes) -> bytes:
    """ENVCHANGE: a transaction began, with its 8-byte descriptor."""
    return envchange(ENV_BEGIN_TRANSACTION, _b_varbyte(descriptor), b"\x00")


def env_end_transaction(kind: int, descriptor: bytes) -> bytes:
    """ENVCHANGE: the transaction ``descriptor`` was committed or rolled back."""
    return envchange(kind, b"\x00", _b_varbyte(descriptor))


def env_reset_ack() -> bytes:
    """ENVCHANGE acknowledging a connection reset (pooled connections)."""
    return envchange(ENV_RESET_ACK, b"\x00", b"\x00")


def message(number: int, text: str, severity: int, state: int = 1, *, info: bool = False,
            procedure: str = "", line: int = 1) -> bytes:
    """An ERROR (or INFO) token: SQL Server's message number, class and text."""
    body = (struct.pack("<iBB", number, state, severity) + us_varchar(text)
            + b_varchar(SERVER_NAME) + b_varchar(procedure) + struct.pack("<i", line))
    return (b"\xab" if info else b"\xaa") + struct.pack("<H", len(body)) + body


def loginack(tds_version: bytes = b"\x74\x00\x00\x04") -> bytes:
    """LOGINACK: TDS 7.4, Microsoft SQL Server 16."""
    body = b"\x01" + tds_version + b_varchar("Microsoft SQL Server") + SERVER_VERSION
    return b"\xad" + struct.pack("<H", len(body)) + body


def featureextack() -> bytes:
    """FEATUREEXTACK acknowledging none of the requested features."""
    return b"\xae\xff"


def done(status: int = DONE_FINAL, command: int = CMD_SELECT, rows: int = 0,
         token: int = 0xFD) -> bytes:
    """DONE (0xFD), DONEPROC (0xFE) or DONEINPROC (0xFF)."""
    return bytes((token,)) + struct.pack("<HHQ", status, command, rows)


def done_proc(status: int = DONE_FINAL, rows: int = 0) -> bytes:
    """DONEPROC: a stored procedure (RPC) finished."""
    return done(status, CMD_EXECUTE, rows, token=0xFE)


def done_in_proc(status: int, rows: int = 0) -> bytes:
    """DONEINPROC: a statement inside an RPC finished."""
    return done(status, CMD_SELECT, rows, token=0xFF)


def return_status(value: int = 0) -> bytes:
    """RETURNSTATUS of an RPC."""
    return b"\x79" + struct.pack("<i", value)


def return_value(ordinal: int, name: str, type_info: bytes, value: bytes) -> bytes:
    """RETURNVALUE of an output parameter (e.g. a prepared statement's handle)."""
    return (b"\xac" + struct.pack("<H", ordinal) + b_varchar(name) + b"\x01"
            + struct.pack("<IH", 0, 0) + type_info + value)


@dataclass(frozen=True)
class ColumnHead:
    """A result column as COLMETADATA describes it."""

    name: str
    type_info: bytes


def colmetadata(columns: Sequence[ColumnHead]) -> bytes:
    """COLMETADATA: every column nullable, with its TYPE_INFO and name."""
    out = bytearray(b"\x81" + struct.pack("<H", len(columns)))
    for column in columns:
        out += struct.pack("<IH", 0, 0x0001) + column.type_info + b_varchar(column.name)
    return bytes(out)


NO_METADATA = b"\x81\xff\xff"


def row(values: Sequence[bytes]) -> bytes:
    """ROW with each column's value already encoded."""
    return b"\xd1" + b"".join(values)
