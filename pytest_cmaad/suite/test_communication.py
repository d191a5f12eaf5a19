"""Step 5: HTTPS or Enhanced HTTP, configured and served."""

from __future__ import annotations

import pytest

from pytest_cmaad.checks import Verdict
from pytest_cmaad.fixtures import assert_verdict


@pytest.mark.cmaad_check("CMAAD-301")
def test_cmaad301_https_or_enhanced_http(cm_verdict: Verdict) -> None:
    """Site communication security allows HTTPS or Enhanced HTTP."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-302")
def test_cmaad302_mp_answers_https(cm_verdict: Verdict) -> None:
    """Every management point answers MPLIST over HTTPS."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-303")
def test_cmaad303_mp_certificate_valid(cm_verdict: Verdict) -> None:
    """Each management point's TLS certificate is valid, trusted and not near expiry."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-304")
def test_cmaad304_mp_token_service(cm_verdict: Verdict) -> None:
    """Each management point's token service (CCM_STS) is present and healthy."""
    assert_verdict(cm_verdict)


@pytest.mark.cmaad_check("CMAAD-305")
def test_cmaad305_mp_lists_agree(cm_verdict: Verdict) -> None:
    """The management points the site lists, MPLIST returns and the profile names agree."""
    assert_verdict(cm_verdict)
