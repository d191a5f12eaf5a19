"""pytest-xdist: ``-n 2`` with two lab sites equals the serial run, outcome by outcome, with
one merged evidence set; workers get the controller's snapshots and build no lab."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import run_lab

pytest.importorskip("xdist")

SITES = ("--cm-site=lab:http-only", "--cm-site=lab:legacy-clients")
PROBE = """
import json, os
from pytest_cmaad.stash import RUN_KEY

def pytest_sessionstart(session):
    worker = getattr(session.config, "workerinput", {}).get("workerid", "controller")
    run = session.config.stash[RUN_KEY]
    seen = {name: {"lab": site.lab is not None,
                   "collected_at": str(site.collected_snapshot.collected_at)
                   if site.collected_snapshot else None}
            for name, site in run.sites.items()}
    with open(os.path.join(os.environ["PROBE_DIR"], worker + ".json"), "w") as out:
        json.dump(seen, out)
"""


def outcomes(folder: Path) -> dict[str, str]:
    """Each test's outcome in an evidence set."""
    evidence: dict[str, Any] = json.loads((folder / "evidence.json").read_text("utf-8"))
    return {r["nodeid"]: r["outcome"] for r in evidence["results"]}


def test_two_workers_equal_the_serial_run(pytester: pytest.Pytester,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Same test ids and outcomes in JUnit and evidence; the snapshot is collected once."""
    probe = pytester.path / "probe"
    probe.mkdir()
    monkeypatch.setenv("PROBE_DIR", str(probe))
    pytester.makeconftest(PROBE)
    serial = run_lab(pytester, *SITES, "--cm-evidence=serial", subprocess=True)
    (probe / "controller.json").unlink()
    parallel = run_lab(pytester, *SITES, "-n", "2", "--cm-evidence=parallel", subprocess=True)
    assert {c.name: c.outcome for c in parallel.cases} == {
        c.name: c.outcome for c in serial.cases}
    assert parallel.result.ret == serial.result.ret
    merged = outcomes(pytester.path / "parallel")
    assert merged == outcomes(pytester.path / "serial")
    assert len(merged) == len(serial.cases)

    seen = {p.stem: json.loads(p.read_text("utf-8")) for p in probe.iterdir()}
    assert set(seen) == {"controller", "gw0", "gw1"}
    for worker in ("gw0", "gw1"):
        assert {s["lab"] for s in seen[worker].values()} == {False}
    # One collection, on the controller: both workers hold the very same snapshot.
    assert seen["gw0"] == seen["gw1"]
    evidence = json.loads((pytester.path / "parallel" / "evidence.json").read_text("utf-8"))
    assert {s["name"]: s["collected_at"] for s in evidence["sites"]} == {
        name: s["collected_at"].replace(" ", "T") for name, s in seen["gw0"].items()}
