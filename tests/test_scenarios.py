"""Every lab scenario fails exactly the checks it breaks, over sqlite3, over ODBC (SQLite3
driver) and over TDS with TLS to Microsoft ODBC Driver 18."""

from __future__ import annotations

import pytest
from helpers import GRAPH_CHECKS, LAB_CHECKS, require_driver18, run_lab

from pytest_cmaad.catalog import CATALOG
from pytest_cmaad.lab import SCENARIOS

EXPECTED_FAILURES: dict[str, set[str]] = {
    "healthy": set(),
    "tenant-missing": {"CMAAD-101"},
    "secret-expired": {"CMAAD-104"},
    "client-auth-disabled": {"CMAAD-105"},
    "discovery-disabled": {"CMAAD-201"},
    "discovery-stale": {"CMAAD-202"},
    "http-only": {"CMAAD-301", "CMAAD-302"},
    "tenant-id-missing": {"CMAAD-402"},
    "heartbeat-only": {"CMAAD-401", "CMAAD-403"},
    "legacy-clients": {"CMAAD-404"},
    "sync-disabled": {"CMAAD-501"},
    "sync-stale": {"CMAAD-503"},
    "mapping-missing": {"CMAAD-502"},
    "mp-cert-expired": {"CMAAD-303"},
    "mp-wrong-name": {"CMAAD-303"},
    "mp-binding-forbidden": {"CMAAD-302", "CMAAD-304"},
    "mp-https-missing": {"CMAAD-302"},
    "mp-client-auth": set(),
    "mp-sts-missing": {"CMAAD-304"},
    "mp-down": {"CMAAD-302"},
    "client-not-joined": {"CMAAD-601", "CMAAD-602"},
    "device-id-mismatch": {"CMAAD-601"},
    "registration-without-aad": {"CMAAD-602", "CMAAD-605"},
    "wam-failure": {"CMAAD-603"},
    "token-service-exception": {"CMAAD-604"},
    "secret-unobtainable": {"CMAAD-606"},
    "group-dynamic": {"CMAAD-504"},
    "group-missing": {"CMAAD-504"},
    "group-not-security": {"CMAAD-504"},
    "server-app-not-owner": {"CMAAD-505", "CMAAD-508"},
    "graph-permissions-missing": {"CMAAD-508"},
    "membership-drift": {"CMAAD-506"},
    "devices-unknown": {"CMAAD-507"},
    "audit-trail-empty": {"CMAAD-509"},
    "graph-throttling": set(),
    "graph-wrong-secret": set(),
    "graph-secret-expired": set(),
}

# Scenarios whose checks cannot be decided: an error naming the source and the fix.
EXPECTED_ERRORS: dict[str, set[str]] = {
    "graph-wrong-secret": set(GRAPH_CHECKS),
    "graph-secret-expired": set(GRAPH_CHECKS),
}

DEPENDENT_SKIPS: dict[str, set[str]] = {
    "tenant-missing": {*GRAPH_CHECKS, "CMAAD-102", "CMAAD-103", "CMAAD-104", "CMAAD-105",
                       "CMAAD-201",
                       "CMAAD-202", "CMAAD-402", "CMAAD-501", "CMAAD-502", "CMAAD-503"},
    "discovery-disabled": {"CMAAD-202"},
    "sync-disabled": {"CMAAD-503"},
    "http-only": {"CMAAD-303", "CMAAD-304"},
    "mp-https-missing": {"CMAAD-303", "CMAAD-304"},
    "mp-down": {"CMAAD-303", "CMAAD-304"},
    "client-not-joined": {"CMAAD-603"},
}


def test_every_scenario_has_expectations() -> None:
    """The table below covers every scenario the lab has, and nothing else."""
    assert set(EXPECTED_FAILURES) == set(SCENARIOS)


@pytest.mark.parametrize("lab_sql", ["sqlite3", "odbc", "tds"])
@pytest.mark.parametrize("scenario", sorted(EXPECTED_FAILURES))
def test_scenario_fails_exactly_its_checks(
    pytester: pytest.Pytester, scenario: str, lab_sql: str
) -> None:
    """The failed check ids are the scenario's, no error anywhere, the lab's checks pass
    otherwise (a per-object check counts by its worst outcome)."""
    if lab_sql == "tds":
        require_driver18()
    site = f"lab:{scenario}"
    report = run_lab(pytester, f"--cm-site={site}", f"--cm-lab-sql={lab_sql}")
    failures = EXPECTED_FAILURES[scenario]
    assert report.with_worst("failed") == failures, report.result.stdout.str()
    errors = EXPECTED_ERRORS.get(scenario, set())
    assert report.with_worst("error") == errors, report.result.stdout.str()
    skipped = DEPENDENT_SKIPS.get(scenario, set()) - failures
    assert report.with_worst("skipped") == set(CATALOG) - LAB_CHECKS | skipped
    assert report.with_worst("passed") == LAB_CHECKS - failures - skipped - errors
    assert report.result.ret == (1 if failures or errors else 0)


def test_healthy_lab_passes_db_checks_and_names_missing_sources(
    pytester: pytest.Pytester,
) -> None:
    """The default lab: every check it can decide passes, the rest skip naming their source."""
    report = run_lab(pytester, "--cm-site=lab", "-rs")
    assert report.result.ret == 0
    assert report.ids("passed") == LAB_CHECKS
    for case in report.cases:
        if case.outcome == "skipped" and not case.not_applicable:
            source = CATALOG[case.properties["cm_check_id"]].sources[0]
            assert f":{source}" in case.message, case.message
            assert case.message.lstrip().startswith(("source-not-configured:",
                                                     "source-not-supported:")), case.message


def test_every_testcase_carries_the_four_properties(pytester: pytest.Pytester) -> None:
    """cm_check_id, cm_severity, cm_step and cm_site on every testcase, with no warning."""
    report = run_lab(pytester, "--cm-site=lab", "--cm-site=lab:http-only")
    assert report.checks("lab") == report.checks("lab:http-only") == set(CATALOG)
    for case in report.cases:
        check = CATALOG[case.properties["cm_check_id"]]
        assert case.properties["cm_severity"] == check.severity
        assert case.properties["cm_step"] == f"{check.step} {check.step_name}"
        assert case.properties["cm_site"] in {"lab", "lab:http-only"}
        assert case.properties["cm_site"] in case.name
        assert check.id.replace("-", "").lower() in case.name
    assert "PytestWarning" not in report.result.stdout.str()


def test_failure_text_says_what_how_many_which_why_and_fix(pytester: pytest.Pytester) -> None:
    """A failure names the count, a bounded sample with values, the reason and the fix."""
    report = run_lab(pytester, "--cm-site=lab:heartbeat-only")
    text = report.case("CMAAD-403").message
    assert "60 active clients have an AADDeviceID from heartbeat discovery only" in text
    assert "sample (10 of 60):" in text
    assert "(ResourceID 1677" in text and "aad_device_id=" in text and "aad_tenant_id=" in text
    assert "why: " in text and "fix: " in text and "see: https://" in text
    ratio = report.case("CMAAD-401").message
    assert "237 of 300 active clients (79.0%)" in ratio
    assert "at least 95% expected" in ratio


def test_run_through_the_installed_entry_point(pytester: pytest.Pytester) -> None:
    """A subprocess run finds the plugin through its pytest11 entry point."""
    report = run_lab(pytester, "--cm-site=lab:sync-stale", subprocess=True)
    assert report.ids("failed") == {"CMAAD-503"}
    report.result.stdout.fnmatch_lines(["*plugins:*cmaad*"])
