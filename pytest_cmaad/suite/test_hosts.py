"""Clients and site systems: dsregcmd and logs."""

from __future__ import annotations

import pytest

from pytest_cmaad.checks import Verdict
from pytest_cmaad.fixtures import assert_verdict


@pytest.mark.cmaad_check("CMAAD-601")
def test_cmaad601_clients_joined(cm_verdict: Verdict) -> None:
    """Sampled clients are Azure AD joined with the site's device and tenant ids."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-602")
def test_cmaad602_clients_registered_with_aad(cm_verdict: Verdict) -> None:
    """Sampled clients registered with Azure AD authentication."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-603")
def test_cmaad603_client_tokens(cm_verdict: Verdict) -> None:
    """Sampled clients' token logs show no WAM or MFA failures."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-604")
def test_cmaad604_mp_token_service_log(cm_verdict: Verdict) -> None:
    """Management points' CCM_STS.log validates Azure AD tokens."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-605")
def test_cmaad605_mp_registration_log(cm_verdict: Verdict) -> None:
    """Management points register devices with Azure AD authentication."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-606")
def test_cmaad606_sync_log(cm_verdict: Verdict) -> None:
    """The sync log shows successful syncs and no secret errors."""
    assert_verdict(cm_verdict)
