"""Waivers: accepted exceptions read from a TOML file (``--cm-waivers``).

A waiver names a check id, optionally a site and the object ids it accepts (an object-level
allowlist), and must say why (``justification``) and until when (``expires``). A failure it
covers is reported as xfailed ("waived"); after its expiry date it stops applying and the
failure is reported as a failure with the waiver marked expired; a waiver that matched no
failure in the run is reported as unused.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from .checks import Verdict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_CHECK_ID_RE = re.compile(r"^CMAAD-\d{3}$")
_KEYS = frozenset({"check", "site", "objects", "justification", "expires", "owner"})
_REQUIRED = ("check", "justification", "expires")

WaiverState = Literal["applied", "expired", "unused", "not-covered"]


class WaiverError(Exception):
    """A waiver file that cannot be used; the message is one line naming file and line."""


@dataclass(frozen=True)
class Waiver:
    """One accepted exception.

    :param index: its position in the file (1-based), for messages.
    :param line: the line of its ``[[waiver]]`` header.
    :param objects: the object ids (names or ResourceIDs) it accepts; empty means the whole
        check on the site.
    """

    index: int
    line: int
    check: str
    justification: str
    expires: date
    site: str | None = None
    objects: tuple[str, ...] = ()
    owner: str | None = None

    def describe(self) -> str:
        """One line for reports: reason, owner and expiry."""
        owner = f", owner {self.owner}" if self.owner else ""
        return f"{self.justification} (waiver #{self.index}{owner}, expires {self.expires})"

    def as_dict(self) -> dict[str, Any]:
        """The waiver as evidence."""
        return {"index": self.index, "check": self.check, "site": self.site,
                "objects": list(self.objects), "justification": self.justification,
                "owner": self.owner, "expires": self.expires.isoformat()}


@dataclass(frozen=True)
class Decision:
    """What the waivers say about one failed verdict.

    :param state: ``applied`` (waived), ``expired`` (matched but no longer applies) or
        ``not-covered`` (an object-level waiver that does not cover every offender).
    """

    waiver: Waiver
    state: WaiverState
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The decision as evidence."""
        return {**self.waiver.as_dict(), "state": self.state, "note": self.note}


@dataclass
class WaiverSet:
    """The waivers of one file and which of them matched during the run."""

    path: str
    waivers: list[Waiver]
    today: date
    matched: set[int] = field(default_factory=set)

    def decide(self, verdict: Verdict) -> Decision | None:
        """The waiver decision for a failed ``verdict`` (None when no waiver names it)."""
        if verdict.outcome != "failed":
            return None
        candidates = [w for w in self.waivers if w.check == verdict.check_id
                      and (w.site is None or w.site == verdict.site)]
        fallback: Decision | None = None
        for waiver in candidates:
            covered, note = _covers(waiver, verdict)
            if not covered:
                fallback = fallback or Decision(waiver, "not-covered", note)
                continue
            self.matched.add(waiver.index)
            if waiver.expires < self.today:
                fallback = Decision(waiver, "expired", f"expired on {waiver.expires}")
                continue
            return Decision(waiver, "applied", note)
        return fallback

    def expired(self) -> list[Waiver]:
        """Waivers past their expiry date."""
        return [w for w in self.waivers if w.expires < self.today]

    def unused(self) -> list[Waiver]:
        """Waivers that matched no failure in this run."""
        return [w for w in self.waivers if w.index not in self.matched]


def _covers(waiver: Waiver, verdict: Verdict) -> tuple[bool, str]:
    if not waiver.objects:
        return True, ""
    allowed = set(waiver.objects)
    if verdict.object is not None and verdict.object in allowed:
        return True, f"object {verdict.object} is allowlisted"
    offenders = verdict.offenders
    if offenders is None or not offenders.sample:
        return False, "the failure lists no offending objects to compare with the allowlist"
    names = [o.name for o in offenders.sample]
    outside = [o.name for o in offenders.sample
               if o.name not in allowed and str(o.resource_id) not in allowed]
    if outside:
        return False, f"not allowlisted: {', '.join(outside[:5])}"
    # The sample is bounded: objects beyond it cannot be proven allowlisted.
    if offenders.total > len(offenders.sample):
        return False, (f"only {len(offenders.sample)} of {offenders.total} offenders are "
                       "listed; the rest cannot be matched against the allowlist")
    return True, f"all {offenders.total} offenders allowlisted: {', '.join(names)}"


def load_waivers(path: Path, today: date) -> WaiverSet:
    """Read a waiver file: ``[[waiver]]`` tables.

    :raises WaiverError: on invalid TOML, unknown keys, missing or invalid values.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WaiverError(f"--cm-waivers: {path}: cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WaiverError(f"{path}: invalid TOML: {exc}") from None
    lines = [n for n, line in enumerate(text.splitlines(), 1)
             if line.strip().startswith("[[waiver]]")]
    unknown = sorted(set(data) - {"waiver"})
    if unknown:
        raise WaiverError(f"{path}: unknown top-level key '{unknown[0]}' (expected [[waiver]] "
                          "tables)")
    tables = data.get("waiver", [])
    if not isinstance(tables, list):
        raise WaiverError(f"{path}: 'waiver' must be an array of tables ([[waiver]])")
    waivers = []
    for index, table in enumerate(tables, 1):
        line = lines[index - 1] if index <= len(lines) else 0
        waivers.append(_read(path, index, line, table))
    return WaiverSet(str(path), waivers, today)


def _read(path: Path, index: int, line: int, table: Any) -> Waiver:
    where = f"{path}:{line}: waiver #{index}" if line else f"{path}: waiver #{index}"
    if not isinstance(table, dict):
        raise WaiverError(f"{where}: must be a table")
    for key in table:
        if key not in _KEYS:
            raise WaiverError(f"{where}: unknown key '{key}' (known: {', '.join(sorted(_KEYS))})")
    for key in _REQUIRED:
        if key not in table:
            raise WaiverError(f"{where}: '{key}' is required")
    check = table["check"]
    if not isinstance(check, str) or not _CHECK_ID_RE.match(check):
        raise WaiverError(f"{where}: check must be a check id like CMAAD-402, got {check!r}")
    justification = table["justification"]
    if not isinstance(justification, str) or not justification.strip():
        raise WaiverError(f"{where}: justification must be a non-empty string")
    expires = table["expires"]
    if isinstance(expires, datetime):
        expires = expires.date()
    if not isinstance(expires, date):
        raise WaiverError(f"{where}: expires must be a TOML date like 2026-12-31, got "
                          f"{expires!r}")
    site = table.get("site")
    if site is not None and not isinstance(site, str):
        raise WaiverError(f"{where}: site must be a string")
    owner = table.get("owner")
    if owner is not None and not isinstance(owner, str):
        raise WaiverError(f"{where}: owner must be a string")
    objects = table.get("objects", [])
    if not isinstance(objects, list) or not all(isinstance(o, (str, int)) for o in objects):
        raise WaiverError(f"{where}: objects must be a list of object names or ResourceIDs")
    return Waiver(index=index, line=line, check=check, justification=justification.strip(),
                  expires=expires, site=site, objects=tuple(str(o) for o in objects),
                  owner=owner)
