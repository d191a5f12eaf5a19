"""Step 5, served side: what each management point actually answers over HTTPS."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from ..facts import HttpProbe, MpReport, MpReports, SiteSystem
from ..parsers.iisssl import SiteSecurity
from .registry import Context, evaluator
from .verdict import Verdict

FORBIDDEN = "CMGConnector_Forbidden"


def _report(ctx: Context) -> MpReport:
    reports: MpReports = ctx.fact("mp_reports")
    return next(r for r in reports.reports if r.name == ctx.object)


def _where(report: MpReport) -> str:
    parts = urlsplit(report.https_url or "")
    return f"{report.name}:{parts.port or 443}"


def _site_says(ctx: Context) -> str:
    """What the site database says about communication security, to set before a probe."""
    fact = ctx.snapshot.facts.security_mode
    if fact is None or fact.value is None:
        return ""
    security = SiteSecurity(fact.value.value)
    mode = ("Enhanced HTTP" if security.enhanced_http else "HTTPS only" if security.https_only
            else "HTTP without Enhanced HTTP")
    if security.allows_aad_registration:
        return f"the site says {mode} (IISSSLState {security.value}, CMAAD-301), but "
    return f"as the site says {mode} (IISSSLState {security.value}, CMAAD-301), "


def _status(probe: HttpProbe | None) -> str:
    if probe is None:
        return "not probed"
    if probe.error:
        return probe.error
    return f"HTTP {probe.status} {probe.reason or ''}".strip()


def _observed(report: MpReport) -> dict[str, object]:
    return report.model_dump(exclude_none=True)


def _client_cert_missing(ctx: Context, report: MpReport) -> Verdict | None:
    if report.client_cert_required and not ctx.settings.get("mp_client_cert"):
        return ctx.undecided(
            f"mp: {_where(report)} requires a client certificate and none is configured — "
            "set mp_client_cert to a PEM with a client-auth certificate and its key",
            _observed(report))
    return None


@evaluator("CMAAD-302", "mp_reports")
def mp_answers_https(ctx: Context) -> Verdict:
    """The MP answers MPLIST over HTTPS with an MPLIST."""
    report = _report(ctx)
    observed = _observed(report)
    if report.tls is None:
        http = f"; over HTTP MPLIST gives {_status(report.mplist_http)}"
        return ctx.failed(
            f"{_site_says(ctx)}{_where(report)} does not serve HTTPS ({report.tls_error}){http}",
            observed)
    if (blocked := _client_cert_missing(ctx, report)) is not None:
        return blocked
    probe = report.mplist_https
    assert probe is not None
    if probe.status == 403 and probe.reason == FORBIDDEN:
        return ctx.failed(
            f"{_where(report)} answers MPLIST with 403 {FORBIDDEN}: the IIS 443 binding is "
            "broken (a stale certificate is bound)", observed)
    if probe.status != 200:
        return ctx.failed(f"{_where(report)} answers MPLIST with {_status(probe)}", observed)
    if report.mplist_error or report.mplist_names is None:
        return ctx.failed(f"{_where(report)} answers MPLIST with {report.mplist_error}",
                          observed)
    trust = "" if probe.verified else " (its certificate did not verify: see CMAAD-303)"
    return ctx.passed(f"{_where(report)} answers MPLIST over {report.tls.protocol} listing "
                      f"{len(report.mplist_names)} MPs{trust}", observed)


@evaluator("CMAAD-303", "mp_reports")
def mp_certificate_valid(ctx: Context) -> Verdict:
    """The certificate names the MP, chains or is site-issued, and is not near expiry."""
    report = _report(ctx)
    tls = report.tls
    if tls is None:
        return ctx.nothing_to_check(f"{_where(report)} serves no certificate (see CMAAD-302)")
    observed = _observed(report)
    days = int(ctx.expect("mp_cert_expiry_warn_days"))
    presented = ", ".join(tls.sans) or tls.subject
    kind = "site-issued (E-HTTP)" if tls.site_issued else "PKI"
    problems = []
    if tls.not_after <= ctx.now:
        problems.append(f"its {kind} certificate expired on {tls.not_after:%Y-%m-%d %H:%M} UTC")
    elif tls.not_before > ctx.now:
        problems.append(f"its certificate is not valid before {tls.not_before:%Y-%m-%d} UTC")
    elif tls.not_after - ctx.now < timedelta(days=days):
        problems.append(f"its {kind} certificate expires on {tls.not_after:%Y-%m-%d} UTC, "
                        f"within {days} days")
    names = {n.lower() for n in tls.sans} or {tls.subject.lower()}
    if report.name.lower() not in names:
        problems.append(f"its certificate is for {presented}, not {report.name}")
    if problems:
        return ctx.failed(f"{_site_says(ctx)}{_where(report)} presents '{tls.subject}' issued "
                          f"by '{tls.issuer}': " + "; ".join(problems), observed)
    if tls.verify_error is not None:
        return ctx.undecided(
            f"mp: the certificate of {_where(report)} ('{tls.subject}' issued by "
            f"'{tls.issuer}') does not verify: {tls.verify_error} — set ca_bundle to the CA "
            "that issued it (for E-HTTP, the site's root)", observed)
    return ctx.passed(f"{_where(report)} presents a valid {kind} certificate for {report.name} "
                      f"issued by '{tls.issuer}', until {tls.not_after:%Y-%m-%d}", observed)


@evaluator("CMAAD-304", "mp_reports")
def mp_token_service(ctx: Context) -> Verdict:
    """``/CCM_STS`` exists on the MP's HTTPS site and does not fail."""
    report = _report(ctx)
    if report.tls is None:
        return ctx.nothing_to_check(f"{_where(report)} serves no HTTPS (see CMAAD-302)")
    if (blocked := _client_cert_missing(ctx, report)) is not None:
        return blocked
    probe = report.token_service
    assert probe is not None
    observed = _observed(report)
    if probe.error or probe.status is None:
        return ctx.failed(f"{_where(report)}/CCM_STS: {_status(probe)}", observed)
    if probe.status == 404:
        return ctx.failed(f"{_where(report)}/CCM_STS is not found (HTTP 404): the token service "
                          "is not installed or its IIS application is missing", observed)
    if probe.status >= 500 or (probe.status == 403 and probe.reason == FORBIDDEN):
        return ctx.failed(f"{_where(report)}/CCM_STS answers {_status(probe)}", observed)
    return ctx.passed(f"{_where(report)}/CCM_STS is present ({_status(probe)} to a GET)",
                      observed)


@evaluator("CMAAD-305", "mp_reports")
def mp_lists_agree(ctx: Context) -> Verdict:
    """The database's MP list, the MPLIST answers and the profile name the same MPs."""
    reports: MpReports = ctx.fact("mp_reports")
    lists: dict[str, set[str]] = {}
    listed = ctx.snapshot.facts.management_points
    if listed is not None and listed.value is not None:
        systems: list[SiteSystem] = listed.value
        lists["the site database"] = {s.server_name.lower() for s in systems}
    answers = [set(r.mplist_names) for r in reports.reports if r.mplist_names is not None]
    if answers:
        lists["MPLIST"] = set().union(*answers)
    if reports.origin == "management_points":
        lists["management_points"] = {r.name.lower() for r in reports.reports}
    observed = {name: sorted(values) for name, values in lists.items()}
    if len(lists) < 2:
        return ctx.nothing_to_check(f"only {', '.join(lists) or 'no list'} names the MPs")
    union = set().union(*lists.values())
    gaps = [f"{name} lacks {', '.join(sorted(union - values))}"
            for name, values in lists.items() if union - values]
    if gaps:
        return ctx.failed("the management point lists disagree: " + "; ".join(gaps), observed)
    return ctx.passed(f"{', '.join(lists)} all name {', '.join(sorted(union))}", observed)
