"""Parse ConfigMgr log files into :class:`LogEntry` records.

Two on-disk formats exist:

* the client format read by CMTrace, one entry per
  ``<![LOG[message]LOG]!><time=".." date=".." component=".." type=".." thread=".." file="..">``
  block, where the message may run over several lines;
* the site-server format written by SMS_EXECUTIVE components, one entry per line ending in
  ``$$<COMPONENT><MM-dd-yyyy HH:mm:ss.fff+BIAS><thread=N (0xN)>``, where lines without that
  trailer belong to the message of the next line that has one.

Both formats write local time followed by the Windows time zone bias in minutes, where
``UTC = local time + bias`` (Pacific Standard Time writes ``+480``, Central European Time
``-60``). Every parsed time is converted to an aware UTC datetime.

Lines are separated by ``\\n``; a ``\\r`` before it is dropped. No function in this module
raises on any ``str`` or ``bytes`` input; all run in linear time except :func:`merge_rotated`,
which sorts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

__all__ = [
    "LogEntry",
    "Severity",
    "decode_log",
    "merge_rotated",
    "parse_cmtrace",
    "parse_log",
    "parse_sitelog",
    "read_log",
    "rotated_name",
]

Severity = Literal["info", "warning", "error"]

_ENTRY_OPEN = "<![LOG["
_ENTRY_CLOSE = "]LOG]!>"
_TRAILER_OPEN = "$$<"
_CONTINUATION_MARK = "~~"
_SEVERITIES: dict[str, Severity] = {"1": "info", "2": "warning", "3": "error"}
_NAME_STOP = re.compile(r'[<">\n]')
_VALUE_STOP = re.compile(r'["\n]')
_SNIFF_BYTES = 4096
# Windows biases lie within about -14 h .. +12 h; anything beyond a day is not a bias.
_MAX_BIAS_MINUTES = 24 * 60
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class LogEntry:
    """One entry of a ConfigMgr log.

    :param message: the message text; lines of a multi-line message are joined with ``\\n``.
    :param time: when the entry was written, as an aware UTC datetime; ``None`` when the
        date, time or bias is missing or malformed.
    :param component: the component that wrote the entry (``""`` when absent).
    :param severity: ``type`` 1/2/3 of the client format; ``None`` for any other value and
        always ``None`` in the site-server format, which has no such field.
    :param thread: the writing thread's id, when present.
    :param source: the ``file=`` attribute of the client format (``"regtask.cpp:123"``);
        ``None`` when absent or empty.
    :param line: the 1-based line of the decoded text on which the entry starts.
    :param raw_time: the date and time as written, ``"MM-dd-yyyy HH:mm:ss.fff+BIAS"``
        (``""`` when absent).
    """

    message: str
    time: datetime | None
    component: str
    severity: Severity | None
    thread: int | None
    source: str | None
    line: int
    raw_time: str


def decode_log(data: bytes) -> str:
    """Decode the bytes of a log file to text without ever raising.

    Recognises UTF-8 with or without a byte order mark and UTF-16 LE with a byte order mark,
    or without one when every other byte is mostly NUL (as ASCII text in UTF-16 LE is); the
    end of a UTF-16 LE file read from an odd byte offset loses its first, half character.
    UTF-16 BE with a byte order mark is accepted too. Undecodable sequences become U+FFFD.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", errors="replace")
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace")
    if _looks_like_utf16le(data):
        return data.decode("utf-16-le", errors="replace")
    if _looks_like_utf16le(data[1:]):
        # The end of a UTF-16 LE file read from an odd offset: half a character comes first.
        return data[1:].decode("utf-16-le", errors="replace")
    return data.decode("utf-8", errors="replace")


def parse_log(text: str) -> list[LogEntry]:
    """Parse a log in either format: the client format if ``<![LOG[`` occurs, else site-server."""
    if _ENTRY_OPEN in text:
        return parse_cmtrace(text)
    return parse_sitelog(text)


def read_log(data: bytes) -> list[LogEntry]:
    """Decode the raw bytes of a log file and parse them with :func:`parse_log`."""
    return parse_log(decode_log(data))


def parse_cmtrace(text: str) -> list[LogEntry]:
    """Parse a log in the client (CMTrace) format.

    Text outside ``<![LOG[ ... ]LOG]!>`` blocks is skipped. Attributes after the block are read
    up to the closing ``>`` on the same line, in any order; unknown ones are ignored, missing
    ones leave their field empty, and a value whose closing quote is missing is dropped.
    A final entry whose ``]LOG]!>`` never comes (a truncated file) is not returned, nor is an
    entry cut short by the start of the next one.
    """
    text = _normalise(text)
    entries: list[LogEntry] = []
    line = 1
    counted_to = 0
    position = 0
    while True:
        start = text.find(_ENTRY_OPEN, position)
        if start < 0:
            break
        close = text.find(_ENTRY_CLOSE, start + len(_ENTRY_OPEN))
        if close < 0:
            break
        start = text.rfind(_ENTRY_OPEN, start, close)
        line += text.count("\n", counted_to, start)
        counted_to = start
        attributes, position = _read_attributes(text, close + len(_ENTRY_CLOSE))
        message = text[start + len(_ENTRY_OPEN) : close]
        entries.append(_client_entry(message, attributes, line))
    return entries


def parse_sitelog(text: str) -> list[LogEntry]:
    """Parse a log in the site-server (SMS_EXECUTIVE) format.

    A line ending in a ``$$<COMPONENT><date time><thread=...>`` trailer closes an entry; the
    lines before it that have no trailer, whatever they hold, are the earlier lines of the
    same message. Blank lines before a message are skipped, and a trailing ``~~``
    continuation marker is removed from every line of a message. Lines left over at the end
    of the text, with no trailer after them, are a truncated entry and are not returned.
    """
    entries: list[LogEntry] = []
    pending: list[str] = []
    first_line = 0
    for number, raw in enumerate(_normalise(text).split("\n"), start=1):
        trailer = _split_trailer(raw)
        body = raw if trailer is None else trailer[0]
        if not pending:
            if trailer is None and not body.strip():
                continue
            first_line = number
        pending.append(_strip_continuation(body))
        if trailer is None:
            continue
        _, component, raw_time, thread = trailer
        date_text, _, time_text = raw_time.partition(" ")
        entries.append(
            LogEntry(
                message="\n".join(pending),
                time=_parse_timestamp(date_text, time_text),
                component=component,
                severity=None,
                thread=_parse_thread(thread),
                source=None,
                line=first_line,
                raw_time=raw_time,
            )
        )
        pending = []
    return entries


def rotated_name(name: str) -> str:
    """Return the name ConfigMgr gives a full log when it rolls it over.

    The last character of the extension becomes ``_`` (``CcmAad.log`` -> ``CcmAad.lo_``);
    a name without an extension gets ``.lo_`` appended. Directories in ``name`` are kept.
    """
    base_start = max(name.rfind("/"), name.rfind("\\")) + 1
    dot = name.rfind(".", base_start)
    if dot < 0 or dot == len(name) - 1:
        return name.rstrip(".") + ".lo_"
    return name[:-1] + "_"


def merge_rotated(older: list[LogEntry], newer: list[LogEntry]) -> list[LogEntry]:
    """Merge a rolled-over log (``.lo_``) with its successor in time order.

    The sort is stable: entries with equal times keep file order, older file first. An entry
    without a time is kept after every entry that precedes it in the two files read one after
    the other, so it never moves ahead of anything it followed on disk; in particular untimed
    entries of the newer file stay after all of the older file's entries.
    """
    combined = [*older, *newer]
    keys: list[datetime] = []
    latest = _EARLIEST
    for entry in combined:
        if entry.time is not None:
            stamp = entry.time
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=timezone.utc)
            keys.append(stamp)
            latest = max(latest, stamp)
        else:
            keys.append(latest)
    order = sorted(range(len(combined)), key=keys.__getitem__)
    return [combined[index] for index in order]


def _looks_like_utf16le(data: bytes) -> bool:
    sample = data[:_SNIFF_BYTES]
    pairs = len(sample) // 2
    if pairs == 0:
        return False
    high_nuls = sample[1::2].count(0)
    low_nuls = sample[0::2].count(0)
    return high_nuls * 2 >= pairs and low_nuls * 4 <= high_nuls


def _normalise(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _read_attributes(text: str, position: int) -> tuple[dict[str, str], int]:
    """Read ``<name="value" ...>`` at ``position``; return the attributes and where it ends.

    The block ends after the first ``>`` outside quotes, or before a ``<`` outside quotes or
    the end of the line.
    """
    attributes: dict[str, str] = {}
    if not text.startswith("<", position):
        return attributes, position
    cursor = position + 1
    while True:
        found = _NAME_STOP.search(text, cursor)
        if found is None:
            return attributes, len(text)
        if found.group() == ">":
            return attributes, found.end()
        if found.group() in "<\n":
            return attributes, found.start()
        value_end = _VALUE_STOP.search(text, found.end())
        if value_end is None or value_end.group() == "\n":
            return attributes, len(text) if value_end is None else value_end.start()
        name = text[cursor : found.start()].strip()
        if name.endswith("="):
            words = name[:-1].split()
            if words:
                attributes.setdefault(words[-1].lower(), text[found.end() : value_end.start()])
        cursor = value_end.end()


def _client_entry(message: str, attributes: dict[str, str], line: int) -> LogEntry:
    date_text = attributes.get("date", "")
    time_text = attributes.get("time", "")
    return LogEntry(
        message=message,
        time=_parse_timestamp(date_text, time_text),
        component=attributes.get("component", ""),
        severity=_SEVERITIES.get(attributes.get("type", "").strip()),
        thread=_parse_thread(attributes.get("thread", "")),
        source=attributes.get("file") or None,
        line=line,
        raw_time=" ".join(part for part in (date_text, time_text) if part),
    )


def _split_trailer(line: str) -> tuple[str, str, str, str] | None:
    """Split ``body  $$<COMP><time><thread=...>`` into body, component, time and thread."""
    stripped = line.rstrip()
    if not stripped.endswith(">"):
        return None
    start = stripped.rfind(_TRAILER_OPEN)
    if start < 0:
        return None
    fields = stripped[start + len(_TRAILER_OPEN) : -1].split("><")
    component = fields[0]
    if not component or any("<" in field or ">" in field for field in fields):
        return None
    raw_time = ""
    thread = ""
    for field in fields[1:]:
        if field.startswith("thread="):
            thread = thread or field[len("thread=") :]
        elif not raw_time:
            raw_time = field
    return stripped[:start].rstrip(), component, raw_time, thread


def _strip_continuation(text: str) -> str:
    text = text.rstrip()
    if text.endswith(_CONTINUATION_MARK):
        return text[: -len(_CONTINUATION_MARK)].rstrip()
    return text


def _parse_timestamp(date_text: str, time_text: str) -> datetime | None:
    """Turn ``MM-dd-yyyy`` and ``HH:mm:ss.fff+BIAS`` into UTC; ``None`` when malformed."""
    sign_at = max(time_text.rfind("+"), time_text.rfind("-"))
    if sign_at < 0:
        return None
    bias = _number(time_text[sign_at + 1 :], 4)
    clock, _, fraction = time_text[:sign_at].partition(".")
    date = _three_numbers(date_text, "-", 4)
    hms = _three_numbers(clock, ":", 2)
    if bias is None or bias >= _MAX_BIAS_MINUTES or date is None or hms is None:
        return None
    if fraction and _number(fraction, 9) is None:
        return None
    month, day, year = date
    hour, minute, second = hms
    microsecond = int((fraction + "000000")[:6])
    offset = timedelta(minutes=bias if time_text[sign_at] == "+" else -bias)
    try:
        local = datetime(year, month, day, hour, minute, second, microsecond)
        return (local + offset).replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None


def _three_numbers(text: str, separator: str, max_digits: int) -> tuple[int, int, int] | None:
    parts = text.split(separator, 3)
    if len(parts) != 3:
        return None
    first, second, third = (_number(part, max_digits) for part in parts)
    if first is None or second is None or third is None:
        return None
    return first, second, third


def _parse_thread(text: str) -> int | None:
    """Read ``1234``, ``4844 (0x12EC)`` or ``0x12EC`` as a thread id."""
    token = text.strip().split(" ", 1)[0]
    if token[:2].lower() == "0x":
        hex_digits = token[2:]
        if 0 < len(hex_digits) <= 16 and all(c in "0123456789abcdefABCDEF" for c in hex_digits):
            return int(hex_digits, 16)
        return None
    return _number(token, 19)


def _number(text: str, max_digits: int) -> int | None:
    """Return ``text`` as an int if it is 1 to ``max_digits`` ASCII digits, else ``None``."""
    if 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None
