"""Step 5, configured side: site communication security allows HTTPS or Enhanced HTTP."""

from __future__ import annotations

from ..facts import SecurityMode
from ..parsers.iisssl import SiteSecurity
from .registry import Context, evaluator
from .verdict import Verdict


def _served(ctx: Context) -> str:
    """What the management points serve, when they were probed (CMAAD-302)."""
    fact = ctx.snapshot.facts.mp_reports
    if fact is None or fact.value is None or not fact.value.reports:
        return ""
    reports = fact.value.reports
    https = [r.name for r in reports if r.tls is not None]
    if not https:
        return f"; none of the {len(reports)} management points serves HTTPS (CMAAD-302)"
    return f"; {', '.join(https)} serve HTTPS anyway (CMAAD-302)"


@evaluator("CMAAD-301", "security_mode")
def https_or_ehttp(ctx: Context) -> Verdict:
    """``IISSSLState`` has the HTTPS-only bit (0x1) or the Enhanced HTTP bit (0x400)."""
    mode: SecurityMode = ctx.fact("security_mode")
    security = SiteSecurity(mode.value)
    observed = {"site_code": mode.site_code, "iissslstate": mode.value,
                "decoded": security.describe(), **security.settings()}
    if not security.allows_aad_registration:
        return ctx.failed(
            f"site {mode.site_code} communication security is IISSSLState "
            f"{security.describe()}: neither HTTPS only nor Enhanced HTTP, so clients cannot "
            f"register with Azure AD authentication{_served(ctx)}", observed)
    return ctx.passed(f"site {mode.site_code}: IISSSLState {security.describe()}", observed)
