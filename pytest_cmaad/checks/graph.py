"""Step 6, Entra side: the target groups, their owner, their members, the devices, the
server app's permissions and the audit trail, compared with the site's view."""

from __future__ import annotations

from ..facts import (
    EntraGroup,
    GraphDirectory,
    GroupMappings,
    Offender,
    Offenders,
)
from .registry import Context, evaluator
from .verdict import Verdict

SAMPLE = 10
READ_ROLES = frozenset({"Directory.Read.All", "Directory.ReadWrite.All"})
WRITE_ROLE_SETS = (frozenset({"GroupMember.ReadWrite.All", "Device.ReadWrite.All"}),
                   frozenset({"Group.ReadWrite.All"}), frozenset({"Directory.ReadWrite.All"}))


def _label(group: EntraGroup, names: dict[str, str]) -> str:
    return f"{group.display_name or names.get(group.id) or group.id} ({group.id})"


def _group_names(ctx: Context) -> dict[str, str]:
    fact = ctx.snapshot.facts.group_mappings
    mappings: GroupMappings | None = fact.value if fact is not None else None
    return {(m.group_id or "").lower(): m.group_name or "" for m in
            (mappings.mappings if mappings else []) if m.group_name}


def _found(ctx: Context) -> list[EntraGroup]:
    """The target groups that exist (only the test's own group for a per-group test)."""
    directory: GraphDirectory = ctx.fact("graph")
    return [g for g in directory.groups if g.found and ctx.object in (None, g.id)]


def _absent(ctx: Context) -> Verdict | None:
    """Not applicable to a group of its own that does not exist (CMAAD-504 says so)."""
    directory: GraphDirectory = ctx.fact("graph")
    if ctx.object is not None and not any(g.id == ctx.object and g.found
                                          for g in directory.groups):
        return ctx.not_applicable(f"group {ctx.object} does not exist in Entra (see CMAAD-504)")
    return None


@evaluator("CMAAD-504", "graph", "tenants")
def groups_assigned_security(ctx: Context) -> Verdict:
    """Each target group exists, is security-enabled and is not dynamic."""
    if skip := ctx.without_tenant():
        return skip
    directory: GraphDirectory = ctx.fact("graph")
    groups = [g for g in directory.groups if ctx.object in (None, g.id)]
    if not groups:
        return ctx.nothing_to_check("no group is mapped or declared")
    names = _group_names(ctx)
    bad: list[Offender] = []
    for g in groups:
        problems = []
        if not g.found:
            problems.append("does not exist in Entra")
        else:
            if not g.security_enabled:
                problems.append("is not security-enabled")
            if "DynamicMembership" in g.group_types:
                problems.append("has dynamic membership")
        if problems:
            bad.append(Offender(name=_label(g, names), values={
                "problem": " and ".join(problems), "security_enabled": g.security_enabled,
                "group_types": ",".join(g.group_types) or None}))
    observed = {"groups": {g.id: {"found": g.found, "security_enabled": g.security_enabled,
                                  "group_types": g.group_types} for g in groups}}
    if bad:
        detail = "; ".join(f"{o.name} {o.values['problem']}" for o in bad)
        head = ("target group " if len(groups) == 1 else
                f"{len(bad)} of {len(groups)} target groups are not assigned security groups: ")
        return ctx.failed(head + detail, observed,
                          Offenders(total=len(bad), sample=bad[:SAMPLE]))
    listing = ", ".join(_label(g, names) for g in groups)
    return ctx.passed(f"assigned security group: {listing}", observed)


@evaluator("CMAAD-505", "graph", "tenants")
def server_app_owns_groups(ctx: Context) -> Verdict:
    """The server app's service principal is an owner of each existing target group."""
    if skip := ctx.without_tenant():
        return skip
    directory: GraphDirectory = ctx.fact("graph")
    app = directory.server_app
    if app is None:
        return ctx.nothing_to_check("no server app in the site (see CMAAD-102)")
    if absent := _absent(ctx):
        return absent
    groups = _found(ctx)
    if not groups:
        return ctx.nothing_to_check("no target group exists in Entra (see CMAAD-504)")
    observed = {"server_app": app.app_id, "service_principal": app.service_principal_id,
                "owners": {g.id: [o.id for o in g.owners] for g in groups}}
    if app.service_principal_id is None:
        return ctx.failed(f"the server app {app.app_id} has no service principal in the tenant",
                          observed)
    names = _group_names(ctx)
    bad = [Offender(name=_label(g, names), values={
        "owners": ", ".join(o.display_name or o.id for o in g.owners) or None})
        for g in groups if app.service_principal_id not in {o.id for o in g.owners}]
    if bad:
        return ctx.failed(f"the server app's service principal ({app.display_name}, "
                          f"{app.service_principal_id}) owns {len(groups) - len(bad)} of "
                          f"{len(groups)} target groups", observed,
                          Offenders(total=len(bad), sample=bad[:SAMPLE]))
    return ctx.passed(f"{app.display_name} owns all {len(groups)} target groups", observed)


def _no_site_side(ctx: Context) -> Verdict:
    return ctx.nothing_to_check("the collections' members come from the site database; set sql "
                                "to compare them with Entra")


@evaluator("CMAAD-506", "graph", "tenants")
def group_members_match(ctx: Context) -> Verdict:
    """Each group's device members are its collections' members with AAD device ids (those
    Entra knows; unknown ones are CMAAD-507's)."""
    if skip := ctx.without_tenant():
        return skip
    if absent := _absent(ctx):
        return absent
    groups = _found(ctx)
    if not groups:
        return ctx.nothing_to_check("no target group exists in Entra (see CMAAD-504)")
    if any(g.expected is None for g in groups):
        return _no_site_side(ctx)
    names = _group_names(ctx)
    offenders: list[Offender] = []
    lines, observed = [], {}
    total = 0
    for g in groups:
        missing = g.missing or Offenders(total=0)
        extra = g.extra or Offenders(total=0)
        observed[g.id] = {"collections": g.collections, "expected": g.expected,
                          "device_members": g.device_members, "missing": missing.total,
                          "extra": extra.total}
        if not missing.total and not extra.total:
            continue
        label = _label(g, names)
        lines.append(f"{label}: {missing.total} missing, {extra.total} extra")
        total += missing.total + extra.total
        offenders += missing.sample + extra.sample
    if lines:
        head = (f"group {lines[0]} against its collections" if len(groups) == 1 else
                f"{len(lines)} of {len(groups)} groups differ from their collections "
                f"({'; '.join(lines)})")
        return ctx.failed(head, observed, Offenders(total=total, sample=offenders))
    count = sum(g.expected or 0 for g in groups)
    return ctx.passed(f"{', '.join(_label(g, names) for g in groups)} hold exactly the "
                      f"{count} devices of {', '.join(c for g in groups for c in g.collections)}",
                      observed)


@evaluator("CMAAD-507", "graph", "tenants")
def devices_exist_in_entra(ctx: Context) -> Verdict:
    """Collection members' AAD device ids are Entra devices."""
    if skip := ctx.without_tenant():
        return skip
    directory: GraphDirectory = ctx.fact("graph")
    if directory.device_ids is None or directory.unknown_devices is None:
        return _no_site_side(ctx)
    if not directory.device_ids:
        return ctx.nothing_to_check("no member of a mapped collection has an AAD device id")
    unknown = directory.unknown_devices
    observed = {"device_ids": directory.device_ids, "unknown": unknown.total}
    if unknown.total:
        return ctx.failed(f"{unknown.total} of {directory.device_ids} collection members' AAD "
                          "device ids are not Entra devices", observed, unknown)
    return ctx.passed(f"all {directory.device_ids} collection members' AAD device ids are "
                      "Entra devices", observed)


@evaluator("CMAAD-508", "graph", "tenants")
def server_app_permissions(ctx: Context) -> Verdict:
    """Directory.Read.All for discovery; ownership of every group or member write
    permissions for the sync."""
    if skip := ctx.without_tenant():
        return skip
    directory: GraphDirectory = ctx.fact("graph")
    app = directory.server_app
    if app is None:
        return ctx.nothing_to_check("no server app in the site (see CMAAD-102)")
    roles = set(app.app_roles)
    observed: dict[str, object] = {"server_app": app.app_id, "app_roles": sorted(roles)}
    if app.service_principal_id is None:
        return ctx.failed(f"the server app {app.app_id} has no service principal in the tenant",
                          observed)
    problems = []
    if not roles & READ_ROLES:
        problems.append("no Directory.Read.All (Azure AD discovery cannot read the directory)")
    owns_all = all(app.service_principal_id in {o.id for o in g.owners}
                   for g in directory.groups if g.found)
    writes = any(needed <= roles for needed in WRITE_ROLE_SETS)
    observed.update(owns_all_groups=owns_all, member_write_permission=writes)
    if not owns_all and not writes:
        problems.append("neither owner of every target group nor granted "
                        "GroupMember.ReadWrite.All with Device.ReadWrite.All (the sync cannot "
                        "write members)")
    if problems:
        return ctx.failed(f"the server app {app.display_name} has " + "; ".join(problems),
                          observed)
    how = "owns every group" if owns_all else "may write members"
    return ctx.passed(f"{app.display_name} has {', '.join(sorted(roles & READ_ROLES))} and "
                      f"{how}", observed)


@evaluator("CMAAD-509", "graph", "tenants")
def audit_trail(ctx: Context) -> Verdict:
    """The audit log shows the server app adding or removing group members recently."""
    if skip := ctx.without_tenant():
        return skip
    directory: GraphDirectory = ctx.fact("graph")
    audit = directory.audit
    if audit is None:
        return ctx.nothing_to_check("no server app in the site (see CMAAD-102)")
    if not directory.groups:
        return ctx.nothing_to_check("no group is mapped or declared")
    observed = {"since": audit.since, "entries": [e.model_dump() for e in audit.entries[:20]]}
    if not audit.entries:
        return ctx.failed(f"no member was added to or removed from a group by the server app "
                          f"since {audit.since:%Y-%m-%d %H:%M} UTC", observed)
    latest = max(e.time for e in audit.entries)
    more = "+" if audit.total > len(audit.entries) else ""
    return ctx.passed(f"{len(audit.entries)}{more} member changes by the server app since "
                      f"{audit.since:%Y-%m-%d}, the latest at {latest:%Y-%m-%d %H:%M} UTC",
                      observed)
