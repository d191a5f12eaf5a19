"""Driver-independent values: checks never see a driver's shapes.

GUIDs are lower-case without braces, datetimes are timezone-aware UTC (a naive value from the
database is read as UTC), bits are bools, and NULL stays None.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Literal

Kind = Literal["guid", "datetime", "bool", "int", "str", "text"]


class ValueShapeError(ValueError):
    """A database value that does not have the shape its column should have."""


def normalize(value: Any, kind: Kind) -> Any:
    """Return ``value`` in the shape of ``kind``; None stays None."""
    if value is None:
        return None
    return _NORMALIZERS[kind](value)


_GUID_SHAPE = re.compile(r"^\{?[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\}?$")


def normalize_any(value: Any) -> Any:
    """Normalize a value of unknown kind (custom queries): by its Python type and shape."""
    if isinstance(value, uuid.UUID) or (isinstance(value, str) and _GUID_SHAPE.match(value)):
        return _guid(value)
    if isinstance(value, (datetime, date)):
        return _datetime(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _guid(value: Any) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes) and len(value) == 16:
        return str(uuid.UUID(bytes_le=value))
    return str(value).strip().strip("{}").lower()


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueShapeError(f"{value!r} is not a date and time") from None
    else:
        raise ValueShapeError(f"{value!r} is not a date and time")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueShapeError(f"{value!r} is not a bit")


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, Decimal)) and int(value) == value:
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueShapeError(f"{value!r} is not a whole number") from None


def _str(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _text(value)
    return str(value)


def _text(value: Any) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if not isinstance(value, (bytes, bytearray)):
        return str(value)
    data = bytes(value)
    if data.startswith(b"\xff\xfe") or (len(data) > 1 and data[1:2] == b"\x00"):
        return data.decode("utf-16-le", errors="replace").lstrip("\ufeff")
    return data.decode("utf-8-sig", errors="replace")


_NORMALIZERS = {
    "guid": _guid,
    "datetime": _datetime,
    "bool": _bool,
    "int": _int,
    "str": _str,
    "text": _text,
}
