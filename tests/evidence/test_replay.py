"""``--cm-replay``: a saved snapshot.json gives the same verdicts without contacting anything;
an unreadable or old snapshot is a one-line usage error naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import run_lab

from pytest_cmaad.lab import LabSite

SCENARIOS = ("tenant-id-missing", "http-only", "heartbeat-only", "legacy-clients", "mp-down",
             "client-not-joined", "sync-stale")
VERDICT_FIELDS = ("check_id", "site", "object", "outcome", "verdict_outcome", "message",
                  "reason", "source", "observed", "offenders")


def verdicts(folder: Path) -> dict[str, dict[str, Any]]:
    """Each test's verdict fields from an evidence set, by node id."""
    evidence = json.loads((folder / "evidence.json").read_text(encoding="utf-8"))
    return {r["nodeid"]: {k: r[k] for k in VERDICT_FIELDS} for r in evidence["results"]}


def refuse_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make building a lab site (and so starting its servers) fail loudly."""
    def build(*args: object, **kwargs: object) -> LabSite:
        raise AssertionError("replay built a lab site")

    monkeypatch.setattr(LabSite, "build", build)


def test_replay_reproduces_every_outcome(pytester: pytest.Pytester,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Live run of several scenarios, then a replay of its snapshot.json: the same tests,
    outcome by outcome, with the same messages, observed values and offenders."""
    live_dir = pytester.path / "live"
    live = run_lab(pytester, *(f"--cm-site=lab:{s}" for s in SCENARIOS),
                   f"--cm-evidence={live_dir}")
    (pytester.path / "junit.xml").rename(pytester.path / "live.xml")
    refuse_lab(monkeypatch)
    again_dir = pytester.path / "again"
    again = run_lab(pytester, f"--cm-replay={live_dir / 'snapshot.json'}",
                    f"--cm-evidence={again_dir}")
    assert again.result.ret == live.result.ret
    assert {c.name: c.outcome for c in again.cases} == {c.name: c.outcome for c in live.cases}
    assert len(live.cases) > 30 * len(SCENARIOS) // 2
    assert verdicts(again_dir) == verdicts(live_dir)
    evidence = json.loads((again_dir / "evidence.json").read_text(encoding="utf-8"))
    assert evidence["run"]["replay"].endswith("snapshot.json")


def test_replay_selects_named_sites(pytester: pytest.Pytester,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """--cm-site with --cm-replay picks sites from the file; an absent one is a usage error."""
    folder = pytester.path / "live"
    run_lab(pytester, "--cm-site=lab", "--cm-site=lab:sync-stale", f"--cm-evidence={folder}")
    refuse_lab(monkeypatch)
    snapshot = folder / "snapshot.json"
    report = run_lab(pytester, f"--cm-replay={snapshot}", "--cm-site=lab:sync-stale")
    assert {c.properties["cm_site"] for c in report.cases} == {"lab:sync-stale"}
    assert report.ids("failed") == {"CMAAD-503"}
    result = pytester.runpytest(f"--cm-replay={snapshot}", "--cm-site=PS1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--cm-site=PS1: not in *snapshot.json (it holds lab, *"])


@pytest.mark.parametrize(("content", "expected"), [
    ('{"format": "pytest-cmaad-snapshot-set", "schema_version": 0, "sites": []}',
     "*snapshot.json: snapshot schema version 0 is not supported (this pytest-cmaad reads "
     "version 1)*"),
    ('{\n "format": "pytest-cmaad-snapshot-set",\n oops\n}', "*snapshot.json:3: not JSON*"),
    ('{"schema_version": 1, "site": "PS1", "facts": {}}',
     "*snapshot.json: not a pytest-cmaad snapshot.json (a single site's snapshot*"),
])
def test_bad_snapshot_is_a_usage_error(pytester: pytest.Pytester, content: str,
                                       expected: str) -> None:
    """Old versions, broken JSON and a lone site snapshot are refused in one line."""
    path = pytester.path / "snapshot.json"
    path.write_text(content, encoding="utf-8")
    result = pytester.runpytest(f"--cm-replay={path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {expected}"])
