"""Verdicts: the outcome of one check on one site, with what was observed."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..catalog import Check
from ..facts import Model, Offenders

Outcome = Literal["passed", "failed", "error", "skipped"]
SAMPLE_LINES = 10


class Verdict(Model):
    """What a check decided, and why.

    :param object: the management point, client or site system a per-object check is about.
    :param reason: a typed reason for skips, e.g. ``source-not-configured:graph``.
    :param source: the source whose facts decided it.
    :param observed: the values the decision rests on (evidence).
    :param offenders: objects that break the prerequisite (bounded sample and total).
    """

    check_id: str
    site: str
    object: str | None = None
    outcome: Outcome
    message: str
    reason: str | None = None
    source: str | None = None
    observed: dict[str, Any] = Field(default_factory=dict)
    offenders: Offenders | None = None


def describe_failure(check: Check, verdict: Verdict) -> str:
    """The failure text: what and how many, which (a sample), why it matters, the fix."""
    lines = [f"{check.id} [{check.severity}] {verdict.message}"]
    offenders = verdict.offenders
    if offenders is not None and offenders.sample:
        shown = offenders.sample[:SAMPLE_LINES]
        lines.append(f"  sample ({len(shown)} of {offenders.total}):")
        for item in shown:
            values = ", ".join(f"{k}={'NULL' if v is None else v}" for k, v in item.values.items())
            rid = f" (ResourceID {item.resource_id})" if item.resource_id is not None else ""
            lines.append(f"    {item.name}{rid}" + (f": {values}" if values else ""))
    if verdict.source:
        lines.append(f"  source: {verdict.source}")
    lines.append(f"  why: {check.why}")
    lines.append(f"  fix: {check.remediation}")
    lines.append(f"  see: {check.reference}")
    return "\n".join(lines)
