"""Step 1: the tenant is onboarded, its apps exist, the secret is valid, client auth is on."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..facts import AadApp, AppSecret, ClientAuth, Tenant
from .registry import Context, evaluator
from .verdict import Verdict


def _tenant_names(tenants: list[Tenant]) -> str:
    return ", ".join(f"{t.name or '(no name)'} ({t.tenant_id})" for t in tenants)


@evaluator("CMAAD-101", "tenants")
def tenant_onboarded(ctx: Context) -> Verdict:
    """A tenant is in ``AAD_Tenant_Ex``, and it is the configured ``tenant_id`` if one is set."""
    tenants: list[Tenant] = ctx.fact("tenants")
    wanted = (ctx.expect("tenant_id") or "").strip("{}").lower() or None
    observed = {"tenants": [t.model_dump() for t in tenants], "tenant_id": wanted}
    if not tenants:
        return ctx.failed("no Azure AD tenant is onboarded: AAD_Tenant_Ex has no rows", observed)
    if wanted and wanted not in {t.tenant_id for t in tenants}:
        return ctx.failed(
            f"the configured tenant_id {wanted} is not onboarded; the site has "
            f"{_tenant_names(tenants)}", observed)
    return ctx.passed(f"onboarded: {_tenant_names(tenants)}", observed)


def _apps(ctx: Context, client: bool) -> tuple[list[Tenant], list[AadApp]]:
    tenants: list[Tenant] = ctx.fact("tenants")
    apps: list[AadApp] = ctx.fact("applications")
    ids = {t.id for t in tenants}
    return tenants, [a for a in apps if a.tenant_db_id in ids and a.is_client_app is client]


def _app_check(ctx: Context, client: bool) -> Verdict:
    kind = "client (native)" if client else "server (web)"
    tenants, apps = _apps(ctx, client)
    if skip := ctx.without_tenant():
        return skip
    observed = {"apps": [a.model_dump() for a in apps]}
    missing = [t for t in tenants if not any(a.tenant_db_id == t.id for a in apps)]
    if missing:
        return ctx.failed(
            f"no {kind} app in AAD_Application_Ex for tenant {_tenant_names(missing)}",
            observed)
    names = ", ".join(f"{a.name} ({a.client_id})" for a in apps)
    return ctx.passed(f"{kind} app: {names}", observed)


@evaluator("CMAAD-102", "tenants", "applications")
def server_app_exists(ctx: Context) -> Verdict:
    """A server (web) app exists for each onboarded tenant."""
    return _app_check(ctx, client=False)


@evaluator("CMAAD-103", "tenants", "applications")
def client_app_exists(ctx: Context) -> Verdict:
    """A client (native) app exists for each onboarded tenant."""
    return _app_check(ctx, client=True)


@evaluator("CMAAD-104", "tenants", "applications", "app_secrets")
def server_secret_valid(ctx: Context) -> Verdict:
    """The server app's secret is neither expired nor within ``secret_expiry_warn_days``."""
    _, servers = _apps(ctx, client=False)
    if not servers:
        return ctx.nothing_to_check("no server app (see CMAAD-102)")
    secrets: list[AppSecret] = ctx.fact("app_secrets")
    expiry = {s.app_id: s.secret_key_expiry for s in secrets}
    decided_by = "sql"
    graph = _graph_expiries(ctx)
    if graph:
        # Entra's passwordCredentials are the truth; the database only mirrors them.
        expiry.update({a.id: graph[a.client_id.lower()] for a in servers
                       if a.client_id and a.client_id.lower() in graph})
        decided_by = "graph"
    days = int(ctx.expect("secret_expiry_warn_days"))
    horizon = ctx.now + timedelta(days=days)
    observed = {"warn_days": days, "decided_by": decided_by,
                "expiry": {a.name or str(a.id): expiry.get(a.id) for a in servers}}
    verdict = _secret_verdict(ctx, servers, expiry, days, horizon, observed)
    if decided_by == "graph":
        return verdict.model_copy(update={
            "source": "graph", "message": f"{verdict.message} (Entra passwordCredentials)"})
    return verdict


def _graph_expiries(ctx: Context) -> dict[str, datetime]:
    """The latest secret end time of the server app as Graph read it, by app id."""
    fact = ctx.snapshot.facts.graph
    app = fact.value.server_app if fact is not None and fact.value is not None else None
    if app is None or not app.secret_expiries:
        return {}
    return {app.app_id.lower(): max(app.secret_expiries)}


def _secret_verdict(ctx: Context, servers: list[AadApp], expiry: dict[int, datetime | None],
                    days: int, horizon: datetime, observed: dict[str, Any]) -> Verdict:
    unknown = [a for a in servers if expiry.get(a.id) is None]
    if unknown:
        return ctx.undecided(
            f"sql: AAD_Application_Ex.SecretKeyExpiry is NULL for server app "
            f"{', '.join(str(a.name) for a in unknown)} — the expiry cannot be read from the "
            "database; check it in Entra or configure the Graph source", observed)
    lines = []
    for app in servers:
        moment = expiry[app.id]
        assert moment is not None
        if moment <= ctx.now:
            lines.append(f"the secret of server app {app.name} ({app.client_id}) expired on "
                         f"{moment:%Y-%m-%d %H:%M} UTC")
        elif moment <= horizon:
            left = (moment - ctx.now).days
            lines.append(f"the secret of server app {app.name} ({app.client_id}) expires on "
                         f"{moment:%Y-%m-%d} UTC, in {left} days (warning at {days})")
    if lines:
        return ctx.failed("; ".join(lines), observed)
    soonest = min(m for m in expiry.values() if m is not None and m > ctx.now)
    return ctx.passed(f"the server app's secret is valid until {soonest:%Y-%m-%d} UTC", observed)


@evaluator("CMAAD-105", "tenants", "client_auth")
def client_auth_enabled(ctx: Context) -> Verdict:
    """Each onboarded tenant appears in the top-level site's settings (client management)."""
    tenants: list[Tenant] = ctx.fact("tenants")
    auth: ClientAuth = ctx.fact("client_auth")
    if skip := ctx.without_tenant():
        return skip
    observed = {"site_code": auth.site_code, "tenant_ids_in_settings": auth.tenant_ids,
                "settings_chars": auth.settings_chars}
    missing = [t for t in tenants if t.tenant_id not in auth.tenant_ids]
    if missing:
        return ctx.failed(
            f"tenant {_tenant_names(missing)} is not in the Sites.Settings of top-level site "
            f"{auth.site_code}: Azure AD authentication is not enabled for it (clients cannot "
            "register with Azure AD auth)", observed)
    return ctx.passed(
        f"Sites.Settings of {auth.site_code} names {_tenant_names(tenants)}", observed)
