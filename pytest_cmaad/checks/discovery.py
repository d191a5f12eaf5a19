"""Step 2: Azure AD user discovery is enabled and succeeding."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..facts import DiscoveryRow, DiscoverySettings
from ..sources.sitedb.collect import DISCOVERY_COMPONENT
from .registry import Context, evaluator
from .verdict import Verdict

SYNC_COMPLETED = 11802
FULL_ONLY_MAX_AGE = timedelta(days=8)
MIN_DELTA_MAX_AGE = timedelta(minutes=60)


def _enabled(rows: list[DiscoveryRow]) -> list[DiscoveryRow]:
    return [r for r in rows if r.full_sync_enabled or r.delta_sync_enabled]


@evaluator("CMAAD-201", "tenants", "discovery_settings")
def discovery_enabled(ctx: Context) -> Verdict:
    """Some Azure AD discovery settings row has full or delta sync on."""
    if skip := ctx.without_tenant():
        return skip
    settings: DiscoverySettings = ctx.fact("discovery_settings")
    observed = {"object": settings.object, "rows": [r.model_dump() for r in settings.rows]}
    if not settings.rows:
        return ctx.failed(
            f"Azure AD user discovery is not configured ({settings.object} has no rows)",
            observed)
    enabled = _enabled(settings.rows)
    if not enabled:
        return ctx.failed(
            "Azure AD user discovery is disabled: full and delta synchronization are both off "
            f"for cloud service {', '.join(str(r.cloud_service_id) for r in settings.rows)}",
            observed)
    modes = sorted({m for r in enabled for m, on in (("full", r.full_sync_enabled),
                                                     ("delta", r.delta_sync_enabled)) if on})
    return ctx.passed(f"Azure AD user discovery is enabled ({' and '.join(modes)})", observed)


def _max_age(ctx: Context, rows: list[DiscoveryRow]) -> tuple[timedelta, str]:
    configured = ctx.expect("discovery_max_age_minutes")
    if configured:
        return timedelta(minutes=int(configured)), "discovery_max_age_minutes"
    intervals = [r.delta_sync_interval or 5 for r in rows if r.delta_sync_enabled]
    if intervals:
        return max(MIN_DELTA_MAX_AGE, timedelta(minutes=3 * max(intervals))), "delta interval"
    return FULL_ONLY_MAX_AGE, "weekly full sync"


@evaluator("CMAAD-202", "tenants", "discovery_settings")
def discovery_recent(ctx: Context) -> Verdict:
    """The last discovery is recent, and no error status message came after the last success.

    Status messages come from the site database; without it the last sync times decide alone.
    """
    if skip := ctx.without_tenant():
        return skip
    settings: DiscoverySettings = ctx.fact("discovery_settings")
    status_fact = ctx.snapshot.facts.discovery_status
    if status_fact is not None and status_fact.problem is not None:
        return ctx.undecided(status_fact.problem.message, {})
    status = status_fact.value if status_fact is not None else None
    enabled = _enabled(settings.rows)
    if not enabled:
        return ctx.nothing_to_check("Azure AD user discovery is disabled (see CMAAD-201)")
    max_age, basis = _max_age(ctx, enabled)
    times = [t for r in enabled for t in (r.last_full_sync_time, r.last_delta_sync_time) if t]
    last: datetime | None = max(times) if times else None
    messages = status.messages if status is not None else []
    successes = [m.last_time for m in messages if m.message_id == SYNC_COMPLETED and m.last_time]
    last_success = max(successes) if successes else None
    errors = [m for m in messages if m.severity == "error" and m.last_time
              and (last_success is None or m.last_time > last_success)]
    observed = {
        "last_sync": last, "max_age_minutes": int(max_age.total_seconds() // 60),
        "max_age_basis": basis, "last_11802": last_success,
        "messages": [m.model_dump() for m in messages] if status is not None else None,
    }
    problems = []
    if last is None:
        problems.append("discovery never ran (no last full or delta sync time)")
    elif ctx.now - last > max_age:
        age = ctx.now - last
        problems.append(f"the last discovery ran {_age(age)} ago, at {last:%Y-%m-%d %H:%M} UTC "
                        f"(limit {_age(max_age)}, from the {basis})")
    if errors:
        ids = ", ".join(f"{m.message_id} ×{m.count}" for m in errors)
        problems.append(f"{sum(m.count for m in errors)} error status messages from "
                        f"{DISCOVERY_COMPONENT} since the last success: {ids}")
    if problems:
        return ctx.failed("; ".join(problems), observed)
    assert last is not None
    note = "" if status is not None else " (no status messages read: the site database is not " \
        "configured)"
    return ctx.passed(f"the last discovery ran {_age(ctx.now - last)} ago{note}", observed)


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"
