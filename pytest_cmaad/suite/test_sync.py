"""Step 6: collection to group sync and the groups in Entra."""

from __future__ import annotations

import pytest

from pytest_cmaad.checks import Verdict
from pytest_cmaad.fixtures import assert_verdict


@pytest.mark.cmaad_check("CMAAD-501")
def test_cmaad501_group_sync_enabled(cm_verdict: Verdict) -> None:
    """Collection to group sync is enabled for the cloud service."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-502")
def test_cmaad502_mappings_exist(cm_verdict: Verdict) -> None:
    """Every declared collection to group mapping exists."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-503")
def test_cmaad503_mappings_synced(cm_verdict: Verdict) -> None:
    """Each mapping synced recently and successfully."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-504")
def test_cmaad504_groups_assigned_security(cm_verdict: Verdict) -> None:
    """Each target group exists, is security-enabled and has assigned membership."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-505")
def test_cmaad505_server_app_owns_groups(cm_verdict: Verdict) -> None:
    """The server app's service principal owns each target group."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-506")
def test_cmaad506_group_members_match(cm_verdict: Verdict) -> None:
    """Each group's device members match the collection's members with Azure AD device ids."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-507")
def test_cmaad507_devices_exist_in_entra(cm_verdict: Verdict) -> None:
    """Collection members' Azure AD device ids exist as Entra devices."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-508")
def test_cmaad508_server_app_permissions(cm_verdict: Verdict) -> None:
    """The server app has the Graph permissions discovery and sync need."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-509")
def test_cmaad509_audit_trail(cm_verdict: Verdict) -> None:
    """The directory audit log shows the server app changing group members."""
    assert_verdict(cm_verdict)
