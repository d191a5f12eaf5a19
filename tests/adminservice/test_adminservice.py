"""The AdminService source: same verdicts as the database, paging, sign-in failures."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from helpers import run_lab

from pytest_cmaad.checks import evaluate
from pytest_cmaad.config import resolve_site
from pytest_cmaad.facts import Fact, Tenant
from pytest_cmaad.lab import LAB_PASSWORD_ENV, SCENARIOS, LabSite
from pytest_cmaad.sites import Site, collect_snapshot, compare

ADMIN_CHECKS = frozenset({"CMAAD-101", "CMAAD-102", "CMAAD-103", "CMAAD-104", "CMAAD-201",
                          "CMAAD-202", "CMAAD-501", "CMAAD-502", "CMAAD-503"})
SQL_ONLY = frozenset({"CMAAD-105", "CMAAD-301", "CMAAD-401", "CMAAD-402", "CMAAD-403",
                      "CMAAD-404"})
DB_SCENARIOS = ["healthy", "tenant-missing", "secret-expired", "discovery-disabled",
                "discovery-stale", "sync-disabled", "sync-stale", "mapping-missing",
                "client-auth-disabled"]


@pytest.mark.parametrize("scenario", DB_SCENARIOS)
def test_adminservice_alone_agrees_with_the_database(pytester: pytest.Pytester,
                                                     scenario: str) -> None:
    """With no SQL configured the onboarding, discovery and sync checks give the same
    outcomes; the checks only the database can decide skip naming it."""
    site = f"--cm-site=lab:{scenario}"
    with_sql = run_lab(pytester, site).worst()
    alone = run_lab(pytester, site, "--cm-lab-sql=none")
    assert {c: alone.worst()[c] for c in ADMIN_CHECKS} == {c: with_sql[c] for c in ADMIN_CHECKS}
    assert alone.with_worst("error") == set()
    for check in SQL_ONLY:
        assert "source-not-configured:sql" in alone.case(check).message


@pytest.fixture
def lab(tmp_path: Path):  # type: ignore[no-untyped-def]
    site = LabSite.build(SCENARIOS["healthy"], tmp_path / "lab", "none")
    yield site
    site.close()


def site_of(lab: LabSite) -> Site:
    return Site(resolve_site("lab", None, {}, {}, lab.profile()), lab)


def test_pages_are_followed_and_only_read(lab: LabSite) -> None:
    snapshot = collect_snapshot(site_of(lab), datetime.now(timezone.utc))
    mappings = snapshot.facts.group_mappings
    assert mappings is not None and mappings.source == "adminservice"
    assert mappings.value is not None
    assert [(m.collection_id, m.collection_name) for m in mappings.value.mappings] == [
        ("LAB00010", "Windows 11 Workstations"), ("LAB00011", "Autopilot Devices")]
    requests = [(m, p) for m, server, p in lab.log.entries if server == "adminservice"]
    assert {m for m, _ in requests} == {"GET"}
    assert any("$skip=2" in p for _, p in requests)
    # NTLM's handshake adds its own round trips on a new connection.
    assert 8 == snapshot.sources["adminservice"].queries <= len(requests)


def test_wrong_password_errors_every_adminservice_check(
    lab: LabSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LAB_PASSWORD_ENV, "not-the-password")
    site = site_of(lab)
    snapshot = collect_snapshot(site, datetime.now(timezone.utc))
    assert snapshot.sources["adminservice"].state == "error"
    for check in sorted(ADMIN_CHECKS):
        verdict = evaluate(check, site.settings, snapshot)
        assert verdict.outcome == "error"
        assert verdict.message.endswith("401 Unauthorized — check adminservice_auth, "
                                        "adminservice_user and its password")
        assert "not-the-password" not in verdict.message


def test_missing_password_is_a_clear_error(lab: LabSite, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    monkeypatch.delenv(LAB_PASSWORD_ENV)
    site = site_of(lab)
    snapshot = collect_snapshot(site, datetime.now(timezone.utc))
    verdict = evaluate("CMAAD-101", site.settings, snapshot)
    assert verdict.outcome == "error"
    assert verdict.message == (f"adminservice: the password of LAB\\cmaad-reader is not in "
                               f"${LAB_PASSWORD_ENV} — set it (or adminservice_password_env)")


def test_both_sources_agree_on_the_lab(tmp_path: Path) -> None:
    lab = LabSite.build(SCENARIOS["sync-stale"], tmp_path / "both")
    try:
        snapshot = collect_snapshot(site_of(lab), datetime.now(timezone.utc))
    finally:
        lab.close()
    assert snapshot.sources["sql"].state == snapshot.sources["adminservice"].state == "ok"
    assert snapshot.disagreements == []
    tenants = snapshot.facts.tenants
    assert tenants is not None and tenants.source == "sql"


def test_disagreements_name_the_fact_and_the_difference() -> None:
    one = Fact[list[Tenant]](source="sql", value=[Tenant(id=1, tenant_id="a", name="Lab",
                                                          environment=0)])
    two = Fact[list[Tenant]](source="adminservice", value=[Tenant(id=1, tenant_id="b",
                                                                   name="Lab", environment=0)])
    assert compare("tenants", one, two) == [
        "tenants: sql and adminservice disagree (sql is used): [0].tenant_id: 'a' vs 'b'"]
    assert compare("tenants", one, one) == []


@pytest.mark.parametrize("auth", ["ntlm", "basic"])
def test_sign_in_with_ntlm_or_basic(lab: LabSite, auth: str) -> None:
    """NTLM is a real handshake (pyspnego accepts it in the lab); basic is the fallback."""
    site = Site(resolve_site("lab", None, {"adminservice_auth": auth}, {}, lab.profile()), lab)
    snapshot = collect_snapshot(site, datetime.now(timezone.utc))
    assert snapshot.sources["adminservice"].state == "ok"
    tenants = snapshot.facts.tenants
    assert tenants is not None and tenants.source == "adminservice" and tenants.value


def test_two_lab_sites_each_sign_in(tmp_path: Path) -> None:
    """Lab sites of one run share the environment, so each one's AdminService opens."""
    labs = [LabSite.build(SCENARIOS[name], tmp_path / name, "none")
            for name in ("healthy", "sync-stale")]
    try:
        for lab in labs:
            snapshot = collect_snapshot(site_of(lab), datetime.now(timezone.utc))
            assert snapshot.sources["adminservice"].state == "ok", snapshot.sources
    finally:
        for lab in labs:
            lab.close()
