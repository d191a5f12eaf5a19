"""The evidence document (``evidence.json``): run metadata, sites, results and waivers.

Its shape is described by ``evidence.schema.json`` beside this module; bump
:data:`EVIDENCE_SCHEMA_VERSION` on any incompatible change.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from .. import __version__
from ..catalog import STEPS
from ..replay import redacted_value
from ..sites import Site
from ..waivers import WaiverSet
from .results import OUTCOMES

EVIDENCE_SCHEMA_VERSION = 1
STEP_RANK = ("skipped", "passed", "waived", "error", "failed")


def schema() -> dict[str, Any]:
    """The JSON Schema of ``evidence.json``."""
    text = resources.files(__package__).joinpath("evidence.schema.json").read_text("utf-8")
    result: dict[str, Any] = json.loads(text)
    return result


@dataclass(frozen=True)
class RunInfo:
    """What the evidence says about the run itself."""

    started_at: datetime
    finished_at: datetime
    args: list[str]
    exit_status: int
    replay: str | None
    stopped_by: str | None
    not_reached: list[str]
    collection_errors: list[str]


def build(run: RunInfo, sites: list[Site], records: list[dict[str, Any]],
          waivers: WaiverSet | None) -> dict[str, Any]:
    """The evidence document."""
    partial = bool(run.stopped_by or run.not_reached or run.collection_errors
                   or any(s.collected_snapshot is None for s in sites))
    return {
        "schema_version": EVIDENCE_SCHEMA_VERSION,
        "tool": {"name": "pytest-cmaad", "version": __version__},
        "run": {
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat(),
            "partial": partial,
            "stopped_by": run.stopped_by,
            "not_reached": run.not_reached,
            "collection_errors": run.collection_errors,
            "exit_status": run.exit_status,
            "replay": run.replay,
            "args": [str(redacted_value(a)) for a in run.args],
        },
        "sites": [_site(site, records) for site in sites],
        "results": records,
        "waivers": waiver_summary(waivers, records),
        "counts": _counts(records),
    }


def _site(site: Site, records: list[dict[str, Any]]) -> dict[str, Any]:
    snapshot = site.collected_snapshot
    settings = site.settings
    mine = [r for r in records if r["site"] == site.name]
    return {
        "name": site.name,
        "site_code": settings.site_code,
        "lab_scenario": settings.lab_scenario,
        "collected": snapshot is not None,
        "collected_at": snapshot.collected_at.isoformat() if snapshot else None,
        "sources": {name: {"state": state.state, "description": state.description,
                           "problem": state.problem.message if state.problem else None,
                           "queries": state.queries, "seconds": state.seconds}
                    for name, state in (snapshot.sources.items() if snapshot else ())},
        "disagreements": list(snapshot.disagreements) if snapshot else [],
        "settings": {name: {"value": redacted_value(value),
                            "origin": settings.origins.get(name, "")}
                     for name, value in sorted(settings.values.items())},
        "steps": steps(mine),
        "counts": _counts(mine),
    }


def steps(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each chain step's status: its worst outcome (a step with nothing decided is skipped)."""
    result = []
    for number, name in STEPS.items():
        outcomes = [r["outcome"] for r in records if r["step"] == number]
        status = max(outcomes, key=STEP_RANK.index) if outcomes else "skipped"
        result.append({"step": number, "name": name, "status": status,
                       "counts": dict(Counter(outcomes))})
    return result


def _counts(records: list[dict[str, Any]]) -> dict[str, int]:
    found = Counter(r["outcome"] for r in records)
    return {outcome: found.get(outcome, 0) for outcome in OUTCOMES}


def waiver_summary(waivers: WaiverSet | None, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Which waivers were applied, have expired, and matched no failure."""
    if waivers is None:
        return {"file": None, "applied": [], "expired": [], "unused": []}
    # Under pytest-xdist waivers match on the workers: the records say which ones did.
    used = {r["waiver"]["index"] for r in records
            if r["waiver"] and r["waiver"]["state"] in ("applied", "expired", "not-covered")}
    applied = sorted({r["waiver"]["index"] for r in records
                      if r["waiver"] and r["waiver"]["state"] == "applied"})
    by_index = {w.index: w for w in waivers.waivers}
    return {
        "file": waivers.path,
        "applied": [by_index[i].as_dict() for i in applied],
        "expired": [w.as_dict() for w in waivers.expired()],
        "unused": [w.as_dict() for w in waivers.waivers
                   if w.index not in used and w not in waivers.expired()],
    }
