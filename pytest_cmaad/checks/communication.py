"""Step 5, configured side: site communication security allows HTTPS or Enhanced HTTP."""

from __future__ import annotations

from ..facts import SecurityMode
from ..parsers.iisssl import SiteSecurity
from .registry import Context, evaluator
from .verdict import Verdict


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
            "register with Azure AD authentication", observed)
    return ctx.passed(f"site {mode.site_code}: IISSSLState {security.describe()}", observed)
