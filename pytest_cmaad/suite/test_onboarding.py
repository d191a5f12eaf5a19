"""Step 1: onboarding of the tenant and its apps."""

from __future__ import annotations

import pytest

from pytest_cmaad.checks import Verdict
from pytest_cmaad.fixtures import assert_verdict


@pytest.mark.cmaad_check("CMAAD-101")
def test_cmaad101_tenant_onboarded(cm_verdict: Verdict) -> None:
    """An Azure AD tenant is onboarded to the site (Cloud Management)."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-102")
def test_cmaad102_server_app_exists(cm_verdict: Verdict) -> None:
    """A server (web) app exists for the onboarded tenant."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-103")
def test_cmaad103_client_app_exists(cm_verdict: Verdict) -> None:
    """A client (native) app exists for the onboarded tenant."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-104")
def test_cmaad104_server_app_secret_valid(cm_verdict: Verdict) -> None:
    """The server app's secret is valid and not about to expire."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-105")
def test_cmaad105_client_auth_enabled(cm_verdict: Verdict) -> None:
    """Azure AD authentication is enabled for the tenant (client management)."""
    assert_verdict(cm_verdict)
