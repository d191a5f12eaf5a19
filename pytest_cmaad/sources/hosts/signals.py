"""The log lines that bear on the host checks, recognised by pattern.

Patterns follow the lines Microsoft documents (or community sources quote) for each log;
anything else in a log is counted but not kept. Per log, the latest few entries of each kind
are kept, so a snapshot stays small however long the logs are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...facts import LogLine
from ...parsers.cmlog import LogEntry
from . import plan

KEEP_PER_KIND = 4
MESSAGE_CHARS = 400

_I = re.IGNORECASE
PATTERNS: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    plan.CLIENT_REGISTRATION_LOG: (
        ("registered", re.compile(r"Client is registered\..*?Approval status (\d+)", _I)),
        ("registering_aad", re.compile(r"Registering client using AAD auth", _I)),
        ("not_registered", re.compile(
            r"Client is not registered|hasn't been registered yet", _I)),
    ),
    "token": (
        ("token_ok", re.compile(r"Retrieved AAD token", _I)),
        ("wam_failure", re.compile(
            r"WAM token request failed|from WAM API\. Error 0x[0-9a-f]+", _I)),
        # AADSTS50076 / 50079 (MFA required) in these logs is not documented; kept if seen.
        ("mfa_required", re.compile(r"AADSTS500(76|79)", _I)),
        ("user_fallback", re.compile(r"Falling back to get user", _I)),
        ("token_request", re.compile(r"Getting AAD \((device|user)\) token", _I)),
    ),
    plan.STS_LOG: (
        ("validated", re.compile(r"Validated AAD token", _I)),
        ("exception", re.compile(
            r"ProcessRequest - Exception|Could not load file or assembly|0x80131040", _I)),
    ),
    plan.MP_REGISTRATION_LOG: (
        ("aad_registration", re.compile(r"Registering device using AAD auth", _I)),
        ("registration", re.compile(r"Processing Registration request from Client", _I)),
    ),
    "sync": (
        ("secret_error", re.compile(r"Could not obtain application secret", _I)),
        ("secret_rejected", re.compile(r"AADSTS7000222|AADSTS7000215", _I)),
        ("success", re.compile(r"completed successfully|Successfully published UDX", _I)),
    ),
}


def patterns_for(log_name: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The patterns of one log file name."""
    if log_name in plan.TOKEN_LOGS:
        return PATTERNS["token"]
    if log_name in plan.SYNC_LOGS:
        return PATTERNS["sync"]
    return PATTERNS.get(log_name, ())


def extract(log_name: str, entries: Sequence[LogEntry], rotated: set[int]
            ) -> tuple[dict[str, int], list[LogLine]]:
    """Count each kind of line in ``entries`` and keep the latest few of each.

    :param rotated: positions (in ``entries``) of entries read from the ``.lo_`` file.
    :returns: counts by kind, and the kept lines in log order.
    """
    patterns = patterns_for(log_name)
    counts: dict[str, int] = {}
    kept: dict[str, list[LogLine]] = {}
    for seq, entry in enumerate(entries):
        for kind, pattern in patterns:
            if pattern.search(entry.message):
                counts[kind] = counts.get(kind, 0) + 1
                lines = kept.setdefault(kind, [])
                lines.append(_line(kind, seq, entry, seq in rotated))
                del lines[:-KEEP_PER_KIND]
                break
    ordered = sorted((line for lines in kept.values() for line in lines), key=lambda x: x.seq)
    return counts, ordered


def approval_status(line: LogLine) -> int | None:
    """The ``Approval status N`` of a ``registered`` line."""
    found = re.search(r"Approval status (\d+)", line.message, _I)
    return int(found.group(1)) if found else None


def _line(kind: str, seq: int, entry: LogEntry, rotated: bool) -> LogLine:
    message = " ".join(entry.message.split())
    if len(message) > MESSAGE_CHARS:
        message = message[: MESSAGE_CHARS - 1] + "…"
    return LogLine(kind=kind, seq=seq, time=entry.time, raw_time=entry.raw_time,
                   component=entry.component, severity=entry.severity, message=message,
                   rotated=rotated)
