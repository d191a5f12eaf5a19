"""Steps 4 and 5, site side: clients registered their Azure AD identity, with the tenant."""

from __future__ import annotations

from ..facts import Offenders, OsBuilds, Registration, Tenant, TenantRegistration
from ..parsers.osbuild import is_before_device_token
from .registry import Context, evaluator
from .verdict import Verdict


@evaluator("CMAAD-401", "registration")
def registered_ratio(ctx: Context) -> Verdict:
    """The share of active clients with a trusted Azure AD device id is high enough."""
    reg: Registration = ctx.fact("registration")
    minimum = float(ctx.expect("registered_ratio_min"))
    if reg.active_clients == 0:
        return ctx.nothing_to_check("the site has no active clients")
    ratio = reg.registered / reg.active_clients
    observed = {"active_clients": reg.active_clients, "registered": reg.registered,
                "ratio": round(ratio, 4), "registered_ratio_min": minimum}
    summary = (f"{reg.registered} of {reg.active_clients} active clients ({ratio:.1%}) registered "
               "an Azure AD device id with token authentication")
    if ratio < minimum:
        return ctx.failed(f"{summary}; at least {minimum:.0%} expected; "
                          f"{reg.unregistered.total} did not", observed, reg.unregistered)
    return ctx.passed(summary, observed)


@evaluator("CMAAD-402", "tenants", "tenant_registration")
def tenant_id_on_registrations(ctx: Context) -> Verdict:
    """Registered active clients carry an onboarded tenant's id in ClientKeyData.AADTenantID."""
    tenants: list[Tenant] = ctx.fact("tenants")
    reg: TenantRegistration = ctx.fact("tenant_registration")
    if skip := ctx.without_tenant():
        return skip
    registered = sum(c.devices for c in reg.by_tenant)
    if registered == 0:
        return ctx.nothing_to_check("no active client registered an Azure AD device id")
    onboarded = {t.tenant_id for t in tenants}
    missing = sum(c.devices for c in reg.by_tenant if c.tenant_id is None)
    foreign = sum(c.devices for c in reg.by_tenant
                  if c.tenant_id is not None and c.tenant_id not in onboarded)
    observed = {"by_tenant": {str(c.tenant_id): c.devices for c in reg.by_tenant},
                "onboarded": sorted(str(t) for t in onboarded)}
    bad = missing + foreign
    if bad:
        return ctx.failed(
            f"{bad} of {registered} registered active clients do not carry the onboarded "
            f"tenant's AADTenantID in ClientKeyData ({missing} have none, {foreign} another "
            "tenant): their membership is never synced", observed, reg.offenders)
    return ctx.passed(f"all {registered} registered active clients carry the onboarded tenant's "
                      "AADTenantID", observed)


@evaluator("CMAAD-403", "heartbeat_only")
def heartbeat_only(ctx: Context) -> Verdict:
    """No active client has Azure AD data from heartbeat discovery alone."""
    offenders: Offenders = ctx.fact("heartbeat_only")
    observed = {"heartbeat_only": offenders.total}
    if offenders.total:
        return ctx.failed(
            f"{offenders.total} active clients have an AADDeviceID from heartbeat discovery only "
            "(v_R_System) and no token-authenticated registration in ClientKeyData: the sync "
            "ignores them", observed, offenders)
    return ctx.passed("no active client has Azure AD data from heartbeat discovery only",
                      observed)


@evaluator("CMAAD-404", "os_builds")
def legacy_clients(ctx: Context) -> Verdict:
    """No active client runs a Windows build older than 10.0.17134."""
    builds: OsBuilds = ctx.fact("os_builds")
    total = sum(b.clients for b in builds.builds)
    if total == 0:
        return ctx.nothing_to_check("the site has no active clients")
    unknown = sum(b.clients for b in builds.builds if b.build is None)
    old = {b.build: b.clients for b in builds.builds
           if b.build and is_before_device_token(b.build)}
    observed = {"builds": {str(b.build): b.clients for b in builds.builds},
                "unknown_build": unknown}
    if builds.legacy.total:
        listing = ", ".join(f"{build} ×{count}" for build, count in sorted(old.items()))
        return ctx.failed(
            f"{builds.legacy.total} of {total} active clients run Windows older than 10 1803 "
            f"(build 10.0.17134), which cannot get an Azure AD device token: {listing}",
            observed, builds.legacy)
    note = f"; {unknown} report no build" if unknown else ""
    return ctx.passed(f"all {total - unknown} active clients with a known build run 10.0.17134 "
                      f"or later{note}", observed)
