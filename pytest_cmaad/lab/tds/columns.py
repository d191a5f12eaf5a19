"""SQL Server's result types on the wire: TYPE_INFO and value encodings, chosen from the
declared type of a column (or, for expressions the schema cannot type, from the values).
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlglot import exp

from .tokens import COLLATION

DType = exp.DataType.Type

_NULL_USHORT = b"\xff\xff"
_NULL_PLP = b"\xff" * 8
_DAY = 86_400
_EPOCH_1900 = date(1900, 1, 1)
_EPOCH_0001 = date(1, 1, 1)


class ConversionError(Exception):
    """A value that does not fit its column's type, as SQL Server would report it."""

    def __init__(self, number: int, text: str) -> None:
        super().__init__(text)
        self.number = number
        self.text = text


@dataclass(frozen=True)
class SqlType:
    """A SQL Server type as a result column carries it.

    :param name: the type as T-SQL spells it, e.g. ``nvarchar(255)``.
    :param code: the TDS type byte.
    :param size: the length in bytes (0xFFFF for ``max``, sent as PLP).
    :param scale: fractional-second digits of the date and time types.
    """

    name: str
    code: int
    size: int = 0
    scale: int = 0

    @property
    def plp(self) -> bool:
        """Whether values are sent as partially length-prefixed chunks (``max`` types)."""
        return self.size == 0xFFFF

    def type_info(self) -> bytes:
        """TYPE_INFO for COLMETADATA and RETURNVALUE."""
        if self.code == 0xE7:
            return b"\xe7" + struct.pack("<H", self.size) + COLLATION
        if self.code == 0xA5:
            return b"\xa5" + struct.pack("<H", self.size)
        if self.code == 0x28:
            return b"\x28"
        if self.code in (0x29, 0x2A, 0x2B):
            return bytes((self.code, self.scale))
        return bytes((self.code, self.size))

    def encode(self, value: Any) -> bytes:
        """The value as a ROW carries it (None is NULL).

        :raises ConversionError: when the value cannot have this type.
        """
        return _ENCODERS[self.code](self, value)


def int_type(size: int) -> SqlType:
    """tinyint (1), smallint (2), int (4) or bigint (8)."""
    names = {1: "tinyint", 2: "smallint", 4: "int", 8: "bigint"}
    return SqlType(names[size], 0x26, size)


BIT = SqlType("bit", 0x68, 1)
FLOAT = SqlType("float", 0x6D, 8)
GUID = SqlType("uniqueidentifier", 0x24, 16)
DATETIME = SqlType("datetime", 0x6F, 8)
SMALLDATETIME = SqlType("smalldatetime", 0x6F, 4)
DATE = SqlType("date", 0x28)


def datetime2(scale: int = 7) -> SqlType:
    """datetime2(scale)."""
    return SqlType(f"datetime2({scale})", 0x2A, scale=scale)


def time_type(scale: int = 7) -> SqlType:
    """time(scale)."""
    return SqlType(f"time({scale})", 0x29, scale=scale)


def datetimeoffset(scale: int = 7) -> SqlType:
    """datetimeoffset(scale)."""
    return SqlType(f"datetimeoffset({scale})", 0x2B, scale=scale)


def nvarchar(chars: int | None) -> SqlType:
    """nvarchar(chars), or nvarchar(max) for None or more than 4,000 characters."""
    if chars is None or chars > 4000:
        return SqlType("nvarchar(max)", 0xE7, 0xFFFF)
    return SqlType(f"nvarchar({max(chars, 1)})", 0xE7, max(chars, 1) * 2)


def varbinary(size: int | None) -> SqlType:
    """varbinary(size), or varbinary(max) for None or more than 8,000 bytes."""
    if size is None or size > 8000:
        return SqlType("varbinary(max)", 0xA5, 0xFFFF)
    return SqlType(f"varbinary({max(size, 1)})", 0xA5, max(size, 1))


# -- choosing a type ------------------------------------------------------------------------


def _length(data_type: exp.DataType) -> int | None:
    if not data_type.expressions:
        return None
    text = data_type.expressions[0].sql().strip().upper()
    return int(text) if text.isdigit() else None


def from_declared(data_type: exp.DataType) -> SqlType | None:
    """The wire type of a column declared (or typed by the schema) as ``data_type``."""
    kind = data_type.this
    sizes = {DType.UTINYINT: 1, DType.TINYINT: 1, DType.SMALLINT: 2, DType.INT: 4,
             DType.BIGINT: 8}
    if kind in sizes:
        return int_type(sizes[kind])
    simple = {DType.BIT: BIT, DType.BOOLEAN: BIT, DType.UUID: GUID, DType.DATETIME: DATETIME,
              DType.SMALLDATETIME: SMALLDATETIME, DType.DATE: DATE, DType.FLOAT: FLOAT,
              DType.DOUBLE: FLOAT}
    if kind in simple:
        return simple[kind]
    scale = _length(data_type)
    if kind == DType.DATETIME2:
        return datetime2(7 if scale is None else scale)
    if kind == DType.TIME:
        return time_type(7 if scale is None else scale)
    if kind == DType.TIMESTAMPTZ:
        return datetimeoffset(7 if scale is None else scale)
    if kind in (DType.NVARCHAR, DType.VARCHAR, DType.NCHAR, DType.CHAR):
        return nvarchar(_length(data_type))
    if kind in (DType.TEXT, DType.XML):
        return nvarchar(None)
    if kind in (DType.VARBINARY, DType.BINARY):
        return varbinary(_length(data_type))
    if kind == DType.IMAGE:
        return varbinary(None)
    return None


def infer(values: Sequence[Any]) -> SqlType:
    """The type of an untyped expression, from the values it produced."""
    present = [v for v in values if v is not None]
    if not present:
        return int_type(4)
    first = present[0]
    if isinstance(first, bool):
        return BIT
    if isinstance(first, int) and all(isinstance(v, int) for v in present):
        fits = all(-(2**31) <= v < 2**31 for v in present)
        return int_type(4 if fits else 8)
    if isinstance(first, (int, float)) and all(isinstance(v, (int, float)) for v in present):
        return FLOAT
    if isinstance(first, datetime):
        return datetime2(7)
    if isinstance(first, (bytes, bytearray, memoryview)):
        return varbinary(max(len(bytes(v)) for v in present))
    return nvarchar(max(len(str(v)) for v in present))


def fit(sql_type: SqlType, values: Sequence[Any]) -> SqlType:
    """Widen a string or binary type whose declared length the values exceed."""
    if sql_type.code == 0xE7 and not sql_type.plp:
        longest = max((len(str(v)) for v in values if v is not None), default=0)
        if longest * 2 > sql_type.size:
            return nvarchar(None if longest > 4000 else longest)
    if sql_type.code == 0xA5 and not sql_type.plp:
        longest = max((len(bytes(v)) for v in values if isinstance(v, (bytes, bytearray))),
                      default=0)
        if longest > sql_type.size:
            return varbinary(None if longest > 8000 else longest)
    return sql_type


# -- converting values ----------------------------------------------------------------------


def _to_int(sql_type: SqlType, value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)) and value == int(value):
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        raise ConversionError(245, f"Conversion failed when converting the nvarchar value "
                                   f"'{value}' to data type {sql_type.name}.") from None


def _to_datetime(sql_type: SqlType, value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ConversionError(241, "Conversion failed when converting date and/or time "
                                       "from character string.") from None
    if moment.tzinfo is not None and sql_type.code != 0x2B:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _to_guid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, (bytes, bytearray)) and len(value) == 16:
        return uuid.UUID(bytes_le=bytes(value))
    try:
        return uuid.UUID(str(value).strip().strip("{}"))
    except ValueError:
        raise ConversionError(8169, "Conversion failed when converting from a character "
                                    "string to uniqueidentifier.") from None


def _plp(data: bytes | None) -> bytes:
    if data is None:
        return _NULL_PLP
    chunk = struct.pack("<I", len(data)) + data if data else b""
    return struct.pack("<Q", len(data)) + chunk + b"\x00\x00\x00\x00"


def _time_bytes(moment: time | datetime, scale: int) -> bytes:
    micros = ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1_000_000 \
        + moment.microsecond
    units: int = micros * 10**scale // 1_000_000
    width = 3 if scale <= 2 else 4 if scale <= 4 else 5
    return units.to_bytes(width, "little")


def _date_bytes(day: date) -> bytes:
    return (day - _EPOCH_0001).days.to_bytes(3, "little")


def _encode_int(sql_type: SqlType, value: Any) -> bytes:
    if value is None:
        return b"\x00"
    number = _to_int(sql_type, value)
    try:
        data = number.to_bytes(sql_type.size, "little", signed=sql_type.size > 1)
    except OverflowError:
        raise ConversionError(8115, "Arithmetic overflow error converting expression to data "
                                    f"type {sql_type.name}.") from None
    return bytes((sql_type.size,)) + data


def _encode_bit(sql_type: SqlType, value: Any) -> bytes:
    if value is None:
        return b"\x00"
    text = str(value).strip().lower()
    if isinstance(value, (bool, int)) and int(value) in (0, 1):
        flag = bool(value)
    elif text in ("true", "false"):
        flag = text == "true"
    else:
        flag = _to_int(sql_type, value) != 0
    return b"\x01" + (b"\x01" if flag else b"\x00")


def _encode_float(sql_type: SqlType, value: Any) -> bytes:
    if value is None:
        return b"\x00"
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConversionError(8114, "Error converting data type nvarchar to float.") from None
    return b"\x08" + struct.pack("<d", number)


def _encode_guid(sql_type: SqlType, value: Any) -> bytes:
    if value is None:
        return b"\x00"
    return b"\x10" + _to_guid(value).bytes_le


def _encode_datetime(sql_type: SqlType, value: Any) -> bytes:
    if value is None:
        return b"\x00"
    moment = _to_datetime(sql_type, value)
    days = (moment.date() - _EPOCH_1900).days
    if sql_type.size == 4:
        minutes = round((moment.hour * 3600 + moment.minute * 60 + moment.second) / 60)
        if not 0 <= days < 65536:
            raise ConversionError(242, "The conversion resulted in an out-of-range "
                                       "smalldatetime value.")
        return b"\x04" + struct.pack("<HH", days, minutes)
    if moment.year < 1753:
        raise ConversionError(242, "The conversion resulted in an out-of-range datetime value.")
    millis = ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1000 \
        + moment.microsecond / 1000
    ticks = round(millis * 300 / 1000)
    if ticks >= 300 * _DAY:
        days, ticks = days + 1, ticks - 300 * _DAY
    return b"\x08" + struct.pack("<iI", days, ticks)


def _encode_date(sql_type: SqlType, value: Any) -> bytes:
    if value is None:
        return b"\x00"
    return b"\x03" + _date_bytes(_to_datetime(sql_type, value).date())


def _encode_time(sql_type: SqlType, value: Any) -> bytes:
    if value is None:
        return b"\x00"
    if isinstance(value, time):
        moment: time | datetime = value
    else:
        try:
            moment = time.fromisoformat(str(value).strip())
        except ValueError:
            raise ConversionError(241, "Conversion failed when converting date and/or time "
                                       "from character string.") from None
    data = _time_bytes(moment, sql_type.scale)
    return bytes((len(data),)) + data


def _encode_datetime2(sql_type: SqlType, value: Any) -> bytes:
    if value is None:
        return b"\x00"
    moment = _to_datetime(sql_type, value)
    data = _time_bytes(moment, sql_type.scale) + _date_bytes(moment.date())
    return bytes((len(data),)) + data


def _encode_datetimeoffset(sql_type: SqlType, value: Any) -> bytes:
    if value is None:
        return b"\x00"
    moment = _to_datetime(sql_type, value)
    offset = moment.utcoffset() or timedelta(0)
    utc = (moment - offset).replace(tzinfo=None)
    data = (_time_bytes(utc, sql_type.scale) + _date_bytes(utc.date())
            + struct.pack("<h", int(offset.total_seconds() // 60)))
    return bytes((len(data),)) + data


def _encode_nvarchar(sql_type: SqlType, value: Any) -> bytes:
    if value is None:
        return _NULL_PLP if sql_type.plp else _NULL_USHORT
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise ConversionError(257, "Implicit conversion from data type varbinary to nvarchar "
                                   "is not allowed.")
    if isinstance(value, datetime):
        value = value.isoformat(sep=" ")
    data = str(value).encode("utf-16-le")
    if sql_type.plp:
        return _plp(data)
    return struct.pack("<H", len(data)) + data


def _encode_varbinary(sql_type: SqlType, value: Any) -> bytes:
    if value is None:
        return _NULL_PLP if sql_type.plp else _NULL_USHORT
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise ConversionError(257, "Implicit conversion from data type nvarchar to varbinary "
                                   "is not allowed.")
    data = bytes(value)
    if sql_type.plp:
        return _plp(data)
    return struct.pack("<H", len(data)) + data


_ENCODERS: dict[int, Callable[[SqlType, Any], bytes]] = {
    0x26: _encode_int,
    0x68: _encode_bit,
    0x6D: _encode_float,
    0x24: _encode_guid,
    0x6F: _encode_datetime,
    0x28: _encode_date,
    0x29: _encode_time,
    0x2A: _encode_datetime2,
    0x2B: _encode_datetimeoffset,
    0xE7: _encode_nvarchar,
    0xA5: _encode_varbinary,
}
