"""Steps 4 and 5: clients registered their Azure AD identity."""

from __future__ import annotations

import pytest

from pytest_cmaad.checks import Verdict
from pytest_cmaad.fixtures import assert_verdict


@pytest.mark.cmaad_check("CMAAD-401")
def test_cmaad401_registered_ratio(cm_verdict: Verdict) -> None:
    """Enough active clients registered an Azure AD device id with token authentication."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-402")
def test_cmaad402_registrations_carry_tenant_id(cm_verdict: Verdict) -> None:
    """Registered devices carry the onboarded tenant's AADTenantID."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-403")
def test_cmaad403_no_heartbeat_only_devices(cm_verdict: Verdict) -> None:
    """No active client has Azure AD data from heartbeat discovery only."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-404")
def test_cmaad404_no_legacy_clients(cm_verdict: Verdict) -> None:
    """No active client runs Windows older than 10 1803 (build 10.0.17134)."""
    assert_verdict(cm_verdict)
