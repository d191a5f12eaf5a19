"""Step 6, site side: group sync is on, mappings exist, and they synced recently."""

from __future__ import annotations

from datetime import timedelta

from ..facts import GroupMapping, GroupMappings, Offender, Offenders, SyncSettings
from .registry import Context, evaluator
from .verdict import Verdict

SYNC_OK_STATUS = 0


def _sync_enabled(settings: SyncSettings) -> bool:
    return any(r.full_sync_enabled or r.delta_sync_enabled for r in settings.rows)


@evaluator("CMAAD-501", "tenants", "sync_settings")
def sync_enabled(ctx: Context) -> Verdict:
    """Collection to group sync is switched on for the cloud service."""
    if skip := ctx.without_tenant():
        return skip
    settings: SyncSettings = ctx.fact("sync_settings")
    observed = {"object": settings.object, "rows": [r.model_dump() for r in settings.rows]}
    if not settings.rows:
        return ctx.failed(f"collection to group sync is not configured ({settings.object} has "
                          "no rows)", observed)
    if not _sync_enabled(settings):
        services = ", ".join(str(r.cloud_service_id) for r in settings.rows)
        return ctx.failed(f"collection to group sync is disabled for cloud service {services} "
                          "(FullSyncEnabled and DeltaSyncEnabled are off)", observed)
    return ctx.passed("collection to group sync is enabled", observed)


def _mapping_offender(m: GroupMapping, **values: str | int | bool | None) -> Offender:
    return Offender(name=f"{m.collection_id} -> {m.group_name or m.group_id}",
                    values={"collection": m.collection_name, "group_id": m.group_id, **values})


@evaluator("CMAAD-502", "tenants", "group_mappings")
def mappings_exist(ctx: Context) -> Verdict:
    """Every declared mapping exists, and every mapping names an existing collection."""
    if skip := ctx.without_tenant():
        return skip
    found: GroupMappings = ctx.fact("group_mappings")
    declared: dict[str, str] = ctx.expect("group_sync") or {}
    mapped = {(m.collection_id.upper(), (m.group_id or "").lower()) for m in found.mappings}
    observed = {"object": found.object, "declared": declared,
                "mappings": [m.model_dump() for m in found.mappings]}
    if not declared and not found.mappings:
        return ctx.nothing_to_check("no collection is mapped to a group and group_sync declares "
                                    "none")
    names = {c.collection_id.upper(): c.name for c in found.declared}
    missing = [Offender(name=f"{coll} -> {group}",
                        values={"collection": names.get(coll), "group_id": group})
               for coll, group in sorted(declared.items()) if (coll, group) not in mapped]
    orphans = [_mapping_offender(m) for m in found.mappings if m.collection_name is None]
    problems = []
    if missing:
        problems.append(f"{len(missing)} of {len(declared)} declared mappings do not exist")
    if orphans:
        problems.append(f"{len(orphans)} mappings name a collection that does not exist")
    if problems:
        offenders = missing + orphans
        return ctx.failed("; ".join(problems), observed,
                          Offenders(total=len(offenders), sample=offenders))
    listing = ", ".join(f"{m.collection_id} ({m.collection_name}) -> {m.group_name}"
                        for m in found.mappings)
    return ctx.passed(f"{len(found.mappings)} mappings: {listing}", observed)


@evaluator("CMAAD-503", "tenants", "sync_settings", "group_mappings")
def mappings_synced(ctx: Context) -> Verdict:
    """Each mapping's last sync is recent (``sync_max_age_minutes``) and succeeded."""
    if skip := ctx.without_tenant():
        return skip
    settings: SyncSettings = ctx.fact("sync_settings")
    found: GroupMappings = ctx.fact("group_mappings")
    if not found.mappings:
        return ctx.nothing_to_check("no collection is mapped to a group")
    if not _sync_enabled(settings):
        return ctx.nothing_to_check("collection to group sync is disabled (see CMAAD-501)")
    minutes = int(ctx.expect("sync_max_age_minutes"))
    limit = ctx.now - timedelta(minutes=minutes)
    bad: list[Offender] = []
    for m in found.mappings:
        last = m.last_sync_time
        if last is None or last < limit or m.last_sync_status != SYNC_OK_STATUS:
            when = f"{last:%Y-%m-%d %H:%M} UTC" if last else "never"
            bad.append(_mapping_offender(m, last_sync=when, last_sync_status=m.last_sync_status))
    observed = {"sync_max_age_minutes": minutes,
                "mappings": {m.collection_id: {"last_sync_time": m.last_sync_time,
                                               "last_sync_status": m.last_sync_status}
                             for m in found.mappings}}
    if bad:
        return ctx.failed(
            f"{len(bad)} of {len(found.mappings)} mappings did not sync successfully in the last "
            f"{minutes} minutes (LastSyncStatus other than {SYNC_OK_STATUS} counts as failed)",
            observed, Offenders(total=len(bad), sample=bad))
    return ctx.passed(f"all {len(found.mappings)} mappings synced successfully in the last "
                      f"{minutes} minutes", observed)
