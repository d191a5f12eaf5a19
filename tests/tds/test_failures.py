"""Failures on the TDS side through Driver 18: each errors only the checks that needed the
data, with one line naming the SQLSTATE and the fix, and never shows the password."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from helpers import DB_CHECKS, run_lab
from tds_support import NOW

from pytest_cmaad.checks import Verdict, evaluate
from pytest_cmaad.config import resolve_site
from pytest_cmaad.lab import LabSite
from pytest_cmaad.sites import Site, collect_snapshot

MakeLab = Callable[[str], LabSite]


def verdicts(lab: LabSite, **options: Any) -> dict[str, Verdict]:
    """Collect the lab site over TDS and decide every database check."""
    settings = resolve_site("lab", None, options, {}, lab.profile())
    snapshot = collect_snapshot(Site(settings, lab), NOW)
    return {check: evaluate(check, settings, snapshot) for check in sorted(DB_CHECKS)}


def errors(decided: dict[str, Verdict]) -> set[str]:
    others = {v.outcome for c, v in decided.items() if v.outcome != "error"}
    assert others <= {"passed"}, others
    return {c for c, v in decided.items() if v.outcome == "error"}


@pytest.fixture
def lab(tds_lab: MakeLab) -> LabSite:
    made = tds_lab("healthy")
    assert made.sql_endpoint is not None
    return made


def test_healthy_lab_over_tds_decides_every_database_check(lab: LabSite) -> None:
    assert errors(verdicts(lab)) == set()


def test_login_failure_errors_every_database_check(lab: LabSite) -> None:
    assert lab.sql_endpoint is not None
    lab.sql_endpoint.faults.wrong_password = True
    decided = verdicts(lab)
    assert errors(decided) == DB_CHECKS
    message = decided["CMAAD-101"].message
    assert ("[28000] Login failed for user 'cmaad_reader'. (18456) — check the user and "
            "password") in message
    assert lab.sql_endpoint.password not in message and "\n" not in message


def test_permission_denied_on_one_view_errors_only_its_checks(lab: LabSite) -> None:
    assert lab.sql_endpoint is not None
    lab.sql_endpoint.faults.denied.add("v_StatusMessage")
    decided = verdicts(lab)
    assert errors(decided) == {"CMAAD-202"}
    assert ("[42000] The SELECT permission was denied on the object 'v_StatusMessage', "
            "database 'CM_LAB', schema 'dbo'. (229) — grant the login SELECT on the site "
            "database (db_datareader)") in decided["CMAAD-202"].message


def test_query_timeout_errors_only_the_slow_querys_checks(lab: LabSite) -> None:
    """The driver's attention stops the slow query at the timeout, not when it would end."""
    assert lab.sql_endpoint is not None
    lab.sql_endpoint.faults.slow["vSMS_CollectionAADGroupMapping"] = 60
    started = time.monotonic()
    decided = verdicts(lab, sql_query_timeout="1")
    assert time.monotonic() - started < 15
    assert errors(decided) == {"CMAAD-502", "CMAAD-503"}
    assert ("[HYT00] Query timeout expired — the query ran past 1 s — raise "
            "sql_query_timeout") in decided["CMAAD-502"].message
    outcomes = [r.outcome for r in lab.sql_endpoint.server.record.requests]
    assert "cancelled" in outcomes


def test_dropped_connection_errors_only_the_interrupted_querys_checks(lab: LabSite) -> None:
    """The result breaks off mid-stream; the next query opens a new connection."""
    assert lab.sql_endpoint is not None
    lab.sql_endpoint.faults.dropped.add("AAD_Application_Ex")
    decided = verdicts(lab)
    assert errors(decided) == {"CMAAD-102", "CMAAD-103", "CMAAD-104"}
    message = decided["CMAAD-102"].message
    assert "[08S01]" in message
    assert "— the server closed the connection mid-query" in message
    record = lab.sql_endpoint.server.record
    assert [r.outcome for r in record.requests].count("dropped") >= 1
    assert len(record.connections) > 1


def test_a_wrong_password_in_a_real_profile_is_one_line_without_the_password(
        pytester: pytest.Pytester, lab: LabSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user's profile pointing at the lab server with a wrong password, end to end."""
    assert lab.sql_endpoint is not None
    wrong = "Wr0ng-" + lab.sql_endpoint.password
    sql = lab.sql_endpoint.connection_string().replace(lab.sql_endpoint.password, wrong)
    pytester.makefile(".toml", cmaad=f"[sites.PS1]\nsql = '{sql}'\nsql_login_timeout = 5\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(lab.sql_endpoint.ca_file))
    report = run_lab(pytester, "--cm-site=PS1", "-rE")
    assert report.ids("error") >= DB_CHECKS
    for case in report.cases:
        if case.outcome == "error":
            assert "[28000] Login failed for user 'cmaad_reader'. (18456)" in case.message
    output = report.result.stdout.str() + (pytester.path / "junit.xml").read_text()
    assert wrong not in output and "Traceback" not in output
    assert "PWD=***" in report.result.stdout.str()
