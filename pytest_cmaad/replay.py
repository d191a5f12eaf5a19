"""The snapshot set: every site's snapshot and the settings its checks read, as one JSON file.

``--cm-evidence`` writes it as ``snapshot.json``; ``--cm-replay`` reads it and evaluates every
check again without contacting anything (the lab is not built). Evaluators take "now" from
each snapshot's ``collected_at``, so a replay gives the same verdicts. Settings are stored
redacted: evaluation only needs to know that a source is configured, never its password.
"""

from __future__ import annotations

import json
from typing import Any

from .config import SiteSettings, redact
from .sites import Site
from .snapshot import SNAPSHOT_SCHEMA_VERSION, SnapshotFormatError, load_snapshot

SET_FORMAT = "pytest-cmaad-snapshot-set"


def redacted_value(value: Any) -> Any:
    """A settings value with passwords hidden (strings, lists and tables of strings)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redacted_value(v) for v in value]
    if isinstance(value, dict):
        return {k: redacted_value(v) for k, v in value.items()}
    return value


def settings_to_dict(settings: SiteSettings, *, secrets: bool = False) -> dict[str, Any]:
    """The settings as JSON-ready data; redacted unless ``secrets`` (in-memory use only)."""
    values = settings.values if secrets else {
        k: redacted_value(v) for k, v in settings.values.items()}
    return {"name": settings.name, "values": values, "origins": dict(settings.origins),
            "lab_scenario": settings.lab_scenario}


def settings_from_dict(data: dict[str, Any]) -> SiteSettings:
    """Settings stored by :func:`settings_to_dict`."""
    return SiteSettings(str(data["name"]), dict(data["values"]), dict(data["origins"]),
                        lab_scenario=data.get("lab_scenario"))


def dump_sites(sites: list[Site], *, secrets: bool = False) -> str:
    """The snapshot set of the sites whose snapshot was collected."""
    entries = []
    for site in sites:
        snapshot = site.collected_snapshot
        if snapshot is None:
            continue
        entries.append({"settings": settings_to_dict(site.settings, secrets=secrets),
                        "snapshot": json.loads(snapshot.to_json())})
    return json.dumps({"format": SET_FORMAT, "schema_version": SNAPSHOT_SCHEMA_VERSION,
                       "sites": entries}, indent=1)


def load_sites(text: str, origin: str) -> dict[str, Site]:
    """Sites whose snapshot and settings come from a snapshot set; nothing is contacted.

    :raises SnapshotFormatError: one line naming ``origin`` (and the line, for bad JSON).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotFormatError(f"{origin}:{exc.lineno}: not JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("format") != SET_FORMAT:
        hint = (" (a single site's snapshot; replay needs the snapshot.json of an evidence "
                "set)" if isinstance(data, dict) and "facts" in data else "")
        raise SnapshotFormatError(f"{origin}: not a pytest-cmaad snapshot.json{hint}")
    version = data.get("schema_version")
    if version != SNAPSHOT_SCHEMA_VERSION:
        raise SnapshotFormatError(
            f"{origin}: snapshot schema version {version} is not supported (this pytest-cmaad "
            f"reads version {SNAPSHOT_SCHEMA_VERSION}); collect it again with --cm-evidence")
    sites: dict[str, Site] = {}
    for index, entry in enumerate(data.get("sites") or []):
        where = f"{origin}: sites[{index}]"
        try:
            settings = settings_from_dict(entry["settings"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SnapshotFormatError(f"{where}.settings: invalid ({exc})") from None
        snapshot = load_snapshot(json.dumps(entry.get("snapshot")), where)
        sites[settings.name] = Site(settings, None, _snapshot=snapshot)
    if not sites:
        raise SnapshotFormatError(f"{origin}: holds no site")
    return sites
