"""The plugin end to end: site selection, collection, custom suites, usage errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import run_lab

from pytest_cmaad.catalog import CATALOG
from pytest_cmaad.lab import SCENARIOS

EXAMPLE_SUITE = Path(__file__).parent.parent / "example_suites"


def test_lab_list_names_every_scenario(pytester: pytest.Pytester) -> None:
    """``--cm-lab-list`` prints every scenario with its summary and exits 0."""
    result = pytester.runpytest("--cm-lab-list")
    assert result.ret == 0
    for name, scenario in SCENARIOS.items():
        result.stdout.fnmatch_lines([f"  {name}*{scenario.summary}"])


def test_without_a_site_the_plugin_stays_out_of_the_way(pytester: pytest.Pytester) -> None:
    """No --cm-site: ordinary tests run, a test that needs a site skips saying how to pick one."""
    pytester.makepyfile(
        test_plain="def test_plain():\n    assert True\n",
        test_site="def test_site(cm_snapshot):\n    pass\n",
    )
    result = pytester.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*no site selected; run with --cm-site=NAME*"])


def test_no_paths_runs_only_the_builtin_suite(pytester: pytest.Pytester) -> None:
    """testpaths are not collected when --cm-site is given without paths."""
    pytester.makeini("[pytest]\ntestpaths = checks\n")
    pytester.mkdir("checks")
    (pytester.path / "checks" / "test_mine.py").write_text("def test_mine():\n    assert 0\n")
    report = run_lab(pytester, "--cm-site=lab")
    assert report.result.ret == 0
    assert report.checks("lab") == set(CATALOG)
    assert all(c.name.startswith("test_cmaad") for c in report.cases)


def test_paths_run_beside_the_builtin_suite(pytester: pytest.Pytester) -> None:
    """With paths, the custom suite runs too, once per site, with its own properties."""
    shutil.copy(EXAMPLE_SUITE / "test_contoso_rules.py", pytester.path)
    report = run_lab(pytester, "--cm-site=lab", "--cm-site=lab:mapping-missing",
                     "test_contoso_rules.py")
    for site in ("lab", "lab:mapping-missing"):
        assert report.checks(site) == set(CATALOG) | {"CONTOSO-001", "CONTOSO-002"}
    custom = [c for c in report.cases if c.properties["cm_check_id"].startswith("CONTOSO")]
    assert {(c.name, c.outcome) for c in custom} == {
        ("test_synced_collections_have_members[lab]", "passed"),
        ("test_synced_collections_have_members[lab:mapping-missing]", "passed"),
        ("test_active_clients_report_their_build[lab]", "passed"),
        ("test_active_clients_report_their_build[lab:mapping-missing]", "passed"),
    }
    first = next(c for c in custom if c.properties["cm_check_id"] == "CONTOSO-001")
    assert first.properties["cm_severity"] == "high"
    assert first.properties["cm_step"] == "6 sync"
    assert report.ids("failed") == {"CMAAD-502"}


def test_no_builtin_runs_only_the_custom_suite(pytester: pytest.Pytester) -> None:
    """--cm-no-builtin leaves only the tests in the given paths."""
    shutil.copy(EXAMPLE_SUITE / "test_contoso_rules.py", pytester.path)
    report = run_lab(pytester, "--cm-site=lab", "--cm-no-builtin", "test_contoso_rules.py")
    assert [c.outcome for c in report.cases] == ["passed", "passed"]


def test_builtin_ids_are_stable_and_self_describing(pytester: pytest.Pytester) -> None:
    """Node ids live under cmaad/, name the check and the site."""
    result = pytester.runpytest("--cm-site=lab", "--collect-only", "-q")
    result.stdout.fnmatch_lines([
        "cmaad/test_onboarding.py::test_cmaad101_tenant_onboarded[[]lab[]]",
        "cmaad/test_registration.py::test_cmaad402_registrations_carry_tenant_id[[]lab[]]",
    ])


def test_keyword_selection_works_on_builtin_checks(pytester: pytest.Pytester) -> None:
    """-k selects built-in checks like any test."""
    report = run_lab(pytester, "--cm-site=lab:http-only", "-k", "cmaad301 or cmaad101")
    assert {c.properties["cm_check_id"] for c in report.cases} == {"CMAAD-101", "CMAAD-301"}
    assert report.ids("failed") == {"CMAAD-301"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cm-site=lab:nope"], "ERROR: --cm-site=lab:nope: unknown lab scenario 'nope'; known: "
         "healthy, *"),
        (["--cm-site=PS1"], "ERROR: --cm-site=PS1: no profile [[]sites.PS1] (no cmaad.toml "
         "found); use --cm-site=lab for the embedded lab site"),
        (["--cm-site=lab", "--cm-site=lab"], "ERROR: --cm-site: lab given more than once"),
        (["--cm-site=lab", "--cm-lab-devices=0"],
         "ERROR: --cm-lab-devices: expected a positive number, got 0"),
        (["--cm-site=lab", "--cm-registered-ratio-min=2"],
         "ERROR: --cm-registered-ratio-min: expected a number from 0 to 1, got '2'"),
        (["--cm-site=lab", "--cm-config=missing.toml"],
         "ERROR: --cm-config: missing.toml: no such file"),
    ],
)
def test_usage_errors_are_one_line(pytester: pytest.Pytester, args: list[str], message: str
                                   ) -> None:
    """Bad selections stop the run with one line that names the problem."""
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


def test_header_names_sites_sources_and_origins(pytester: pytest.Pytester,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The header says which site, which sources and where each setting came from."""
    monkeypatch.setenv("CMAAD_SYNC_MAX_AGE_MINUTES", "45")
    result = pytester.runpytest("--cm-site=lab", "--cm-registered-ratio-min=0.9",
                                "--collect-only")
    result.stdout.fnmatch_lines([
        "cmaad: 1 site(s), no config file, built-in suite on",
        "cmaad site lab: site code LAB, lab scenario healthy, sources: sql, *mp, graph, hosts",
        "  site_code = LAB (lab)",
        "  registered_ratio_min = 0.9 (option)",
        "  sync_max_age_minutes = 45 (env)",
    ])


def test_expectations_from_the_command_line_change_verdicts(pytester: pytest.Pytester) -> None:
    """registered_ratio_min from the command line decides CMAAD-401."""
    report = run_lab(pytester, "--cm-site=lab:heartbeat-only", "--cm-registered-ratio-min=0.7")
    assert report.ids("failed") == {"CMAAD-403"}
    assert "70%" not in report.case("CMAAD-401").message


def test_lab_scale_knobs(pytester: pytest.Pytester) -> None:
    """--cm-lab-devices sizes the lab; the verdicts stay those of the scenario."""
    report = run_lab(pytester, "--cm-site=lab:legacy-clients", "--cm-lab-devices=1000",
                     "--cm-lab-collections=8")
    assert report.ids("failed") == {"CMAAD-404"}
    assert "30 of 1000 active clients run Windows older than 10 1803" in (
        report.case("CMAAD-404").message)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[sites.PS1]\nsqll = 'x'\n",
         "ERROR: */cmaad.toml: unknown key 'sites.PS1.sqll' (did you mean 'sql'?)"),
        ("[sites.PS1\n", "ERROR: */cmaad.toml: invalid TOML: *"),
    ],
)
def test_config_file_errors_stop_the_run(pytester: pytest.Pytester, toml: str, message: str
                                         ) -> None:
    """A malformed config file is a usage error naming the file and the key."""
    pytester.makefile(".toml", cmaad=toml)
    result = pytester.runpytest("--cm-site=PS1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert len(result.stderr.lines) <= 2


def test_output_options_without_a_site_are_a_usage_error(pytester: pytest.Pytester) -> None:
    """--cm-evidence with nothing to check says so instead of writing nothing."""
    result = pytester.runpytest("--cm-evidence=out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --cm-evidence needs sites: add --cm-site=NAME (or "
                                 "--cm-replay FILE)"])
