"""Step 2: Azure AD user discovery."""

from __future__ import annotations

import pytest

from pytest_cmaad.checks import Verdict
from pytest_cmaad.fixtures import assert_verdict


@pytest.mark.cmaad_check("CMAAD-201")
def test_cmaad201_user_discovery_enabled(cm_verdict: Verdict) -> None:
    """Azure AD user discovery is enabled (full and/or delta)."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-202")
def test_cmaad202_user_discovery_recent(cm_verdict: Verdict) -> None:
    """Azure AD user discovery succeeded recently."""
    assert_verdict(cm_verdict)
