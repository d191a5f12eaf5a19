"""The evidence set: all five files, valid JSON, hashes, waivers everywhere, no secrets,
a partial set after Ctrl-C, and the gate."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import Report, run_lab

from pytest_cmaad.evidence import FILES, schema

LEGACY = [f"LAB-WS0000{n}" for n in range(9)]


def load(folder: Path, name: str = "evidence.json") -> Any:
    """A JSON file of the evidence set."""
    return json.loads((folder / name).read_text(encoding="utf-8"))


def validate(folder: Path) -> dict[str, Any]:
    """The evidence document, after checking it against the packaged JSON Schema."""
    evidence: dict[str, Any] = load(folder)
    jsonschema.validate(evidence, schema(), format_checker=jsonschema.FormatChecker())
    return evidence


def write_waivers(path: Path, *tables: str) -> Path:
    """A waiver file of ``[[waiver]]`` tables."""
    path.write_text("\n".join(f"[[waiver]]\n{t.strip()}\n" for t in tables), encoding="utf-8")
    return path


@pytest.fixture
def waived_run(pytester: pytest.Pytester) -> tuple[Report, Path]:
    """Two scenarios, with an active, an expired, an unused and two object-level waivers."""
    waivers = write_waivers(
        pytester.path / "waivers.toml",
        'check = "CMAAD-402"\nsite = "lab:tenant-id-missing"\n'
        'justification = "tenant id fix in change CHG-1"\nexpires = 2099-12-31\n'
        'owner = "cm-team"',
        'check = "CMAAD-404"\nsite = "lab:tenant-id-missing"\njustification = "old"\n'
        'expires = 2001-01-01',
        'check = "CMAAD-101"\njustification = "never matches"\nexpires = 2099-12-31',
        'check = "CMAAD-404"\nsite = "lab:legacy-clients"\n'
        'justification = "three kiosks retire in Q3"\nexpires = 2099-12-31\n'
        f"objects = {json.dumps(LEGACY[:3])}",
        'check = "CMAAD-403"\njustification = "expired allowlist"\nexpires = 2001-01-01',
    )
    folder = pytester.path / "evidence"
    report = run_lab(pytester, "--cm-site=lab:tenant-id-missing", "--cm-site=lab:legacy-clients",
                     f"--cm-evidence={folder}", f"--cm-waivers={waivers}")
    return report, folder


def test_evidence_set_is_complete_valid_and_hashed(waived_run: tuple[Report, Path]) -> None:
    """All five files; evidence.json validates; the manifest's hashes match the files."""
    report, folder = waived_run
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    evidence = validate(folder)
    manifest = load(folder, "manifest.json")
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == entry["sha256"]
    assert set(manifest["files"]) == set(FILES) - {"manifest.json"}
    assert not evidence["run"]["partial"]
    assert [s["name"] for s in evidence["sites"]] == ["lab:tenant-id-missing",
                                                     "lab:legacy-clients"]
    assert len(evidence["results"]) == len(report.cases)
    legacy = next(s for s in evidence["sites"] if s["name"] == "lab:legacy-clients")
    assert {s["name"]: s["status"] for s in legacy["steps"]}["client token"] == "failed"
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert "**CMAAD-404** [medium]" in summary and len(summary.splitlines()) < 40


def test_waivers_show_in_json_html_and_junit(waived_run: tuple[Report, Path]) -> None:
    """Active waiver: xfailed and shown; the object-level one does not cover all nine legacy
    devices, so the failure stands; expired and unused ones are listed as such."""
    report, folder = waived_run
    evidence = validate(folder)
    by_key = {(r["check_id"], r["site"]): r for r in evidence["results"]}
    waived = by_key["CMAAD-402", "lab:tenant-id-missing"]
    assert waived["outcome"] == "waived" and waived["verdict_outcome"] == "failed"
    assert waived["waiver"]["state"] == "applied" and waived["waiver"]["owner"] == "cm-team"
    partial = by_key["CMAAD-404", "lab:legacy-clients"]
    assert partial["outcome"] == "failed"
    assert partial["waiver"]["state"] == "not-covered"
    assert "LAB-WS00003" in partial["waiver"]["note"]
    assert [w["check"] for w in evidence["waivers"]["applied"]] == ["CMAAD-402"]
    assert {w["check"] for w in evidence["waivers"]["expired"]} == {"CMAAD-404", "CMAAD-403"}
    assert [w["check"] for w in evidence["waivers"]["unused"]] == ["CMAAD-101"]

    case = report.case("CMAAD-402", "lab:tenant-id-missing")
    assert case.outcome == "skipped"
    assert "tenant id fix in change CHG-1" in case.message and "2099-12-31" in case.message
    assert case.properties["cm_waiver"].startswith("applied: ")
    assert report.case("CMAAD-404", "lab:legacy-clients").outcome == "failed"
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "waiver applied: tenant id fix in change CHG-1" in html
    assert "expired: CMAAD-403" in html and "unused: CMAAD-101" in html
    out = report.result.stdout.str()
    assert "applied: CMAAD-402 on lab:tenant-id-missing" in out
    assert "expired: CMAAD-403" in out and "unused: CMAAD-101" in out
    assert report.result.parseoutcomes()["xfailed"] == 1


def test_object_level_waiver_covering_every_offender_waives(pytester: pytest.Pytester) -> None:
    """An allowlist naming all nine legacy devices (by name or ResourceID) waives CMAAD-404;
    the expired waiver on the same check turns back into a plain failure elsewhere."""
    waivers = write_waivers(
        pytester.path / "waivers.toml",
        'check = "CMAAD-404"\njustification = "kiosks"\nexpires = 2099-12-31\n'
        f"objects = {json.dumps(LEGACY)}")
    folder = pytester.path / "evidence"
    report = run_lab(pytester, "--cm-site=lab:legacy-clients", f"--cm-evidence={folder}",
                     f"--cm-waivers={waivers}")
    assert report.case("CMAAD-404").outcome == "skipped"
    record = next(r for r in validate(folder)["results"] if r["check_id"] == "CMAAD-404")
    assert record["outcome"] == "waived"
    assert "all 9 offenders allowlisted" in record["waiver"]["note"]
    assert report.result.ret == 0


def test_no_secret_in_any_file(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
                               ) -> None:
    """The Graph secret, the AdminService password and the PWD= of the lab's TDS connection
    string appear in none of the five files nor on the terminal."""
    from helpers import require_driver18

    require_driver18()
    secret = "Gr4ph-S3cret-Value-7781"
    monkeypatch.setenv("CMAAD_CLIENT_SECRET", secret)
    folder = pytester.path / "evidence"
    report = run_lab(pytester, "--cm-site=lab", "--cm-lab-sql=tds", f"--cm-evidence={folder}",
                     "-v")
    assert report.result.ret == 0, report.result.stdout.str()
    evidence = load(folder)
    sql = evidence["sites"][0]["settings"]["sql"]["value"]
    assert "PWD=***" in sql
    passwords = [secret, os.environ.get("CMAAD_LAB_ADMINSERVICE_PASSWORD", secret)]
    snapshot = load(folder, "snapshot.json")
    assert "PWD=***" in snapshot["sites"][0]["settings"]["values"]["sql"]
    texts = [(folder / name).read_text(encoding="utf-8") for name in FILES]
    texts.append(report.result.stdout.str())
    for text in texts:
        for password in passwords:
            assert password not in text
        assert "PWD=" not in text.replace("PWD=***", "")


def test_interrupted_run_writes_partial_set(pytester: pytest.Pytester) -> None:
    """Ctrl-C in the middle: the set is still written, marked partial, naming what was not
    reached."""
    pytester.makepyfile(test_custom="""
        def test_a():
            pass

        def test_b():
            raise KeyboardInterrupt

        def test_c():
            pass
    """)
    folder = pytester.path / "evidence"
    # In a subprocess: in-process, pytester would re-raise the KeyboardInterrupt here.
    run_lab(pytester, "--cm-site=lab", "--cm-no-builtin", f"--cm-evidence={folder}",
            "test_custom.py", subprocess=True)
    evidence = validate(folder)
    assert evidence["run"]["partial"] is True
    assert "KeyboardInterrupt" in evidence["run"]["stopped_by"]
    assert evidence["run"]["not_reached"] == ["test_custom.py::test_c"]
    assert "Partial run" in (folder / "summary.md").read_text(encoding="utf-8")
    assert 'id="partial"' in (folder / "report.html").read_text(encoding="utf-8")


def test_crashing_source_writes_partial_set(pytester: pytest.Pytester) -> None:
    """A source that raises while the snapshot is collected: the set is written anyway,
    partial, with the collection error and the site marked as not collected."""
    pytester.makeconftest("""
        from pytest_cmaad import sites

        def boom(site, now):
            raise RuntimeError("mp source crashed")

        sites.COLLECTORS["mp"] = boom
    """)
    folder = pytester.path / "evidence"
    # In a subprocess: the conftest replaces a collector for the whole process.
    report = run_lab(pytester, "--cm-site=lab", f"--cm-evidence={folder}", subprocess=True)
    assert report.result.ret == pytest.ExitCode.INTERRUPTED
    evidence = validate(folder)
    assert evidence["run"]["partial"] is True
    assert any("mp source crashed" in e for e in evidence["run"]["collection_errors"])
    assert evidence["sites"][0]["collected"] is False
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)


@pytest.mark.parametrize(("fail_on", "status"), [("low", 1), ("medium", 1), ("high", 0)])
def test_gate_changes_only_the_exit_status(pytester: pytest.Pytester, fail_on: str,
                                           status: int) -> None:
    """CMAAD-404 is medium: --cm-fail-on=high passes the run, the test still fails."""
    folder = pytester.path / "evidence"
    report = run_lab(pytester, "--cm-site=lab:legacy-clients", f"--cm-fail-on={fail_on}",
                     f"--cm-evidence={folder}")
    assert report.result.ret == status
    assert report.ids("failed") == {"CMAAD-404"}
    evidence = load(folder)
    assert evidence["counts"]["failed"] == 1 and evidence["run"]["exit_status"] == status


def test_gate_rejects_an_unknown_severity(pytester: pytest.Pytester) -> None:
    """A typo is a usage error, not a silent default."""
    result = pytester.runpytest("--cm-site=lab", "--cm-fail-on=severe")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
