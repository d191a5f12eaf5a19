"""report.html: self-contained, fast with 10 sites x 30 checks, and correct in a real
headless browser (Debian's chromium): the chain's step statuses are read from the DOM."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import run_lab

from pytest_cmaad.catalog import CATALOG, STEPS
from pytest_cmaad.evidence.document import steps
from pytest_cmaad.evidence.html import render_html

STEP_RE = re.compile(r'<section class="site" data-site="([^"]+)"(?: hidden(?:="")?)?>|'
                     r'data-step="(\d)" data-step-status="([a-z]+)"')


def chromium() -> str:
    """The chromium binary; skips without it unless scripts/test says it must be there."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "chromium is not installed (apt-get install chromium)"
    if os.environ.get("CMAAD_REQUIRE_CHROMIUM") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def dump_dom(page: Path, query: str = "") -> str:
    """The DOM after the page's script ran, as headless chromium serializes it."""
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
               "--no-first-run", f"--user-data-dir={page.parent / '.chromium'}",
               "--dump-dom", page.as_uri() + query]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def statuses(dom: str) -> dict[str, dict[int, str]]:
    """Each site's step statuses as the DOM shows them."""
    found: dict[str, dict[int, str]] = {}
    site = ""
    for match in STEP_RE.finditer(dom):
        if match.group(1):
            site = match.group(1)
            found[site] = {}
        else:
            found[site][int(match.group(2))] = match.group(3)
    return found


def synthetic(sites: int, checks: int) -> dict[str, Any]:
    """An evidence document of ``sites`` x ``checks`` results, some of each outcome."""
    ids = sorted(CATALOG)[:checks]
    outcomes = ("passed", "failed", "skipped", "error", "waived")
    results = []
    for s in range(sites):
        for n, check_id in enumerate(ids):
            check = CATALOG[check_id]
            results.append({
                "nodeid": f"cmaad/test_x.py::test_{n}[S{s:02}]", "check_id": check_id,
                "title": check.title, "step": check.step, "step_name": STEPS[check.step],
                "severity": check.severity, "site": f"S{s:02}", "object": None,
                "outcome": outcomes[(s + n) % 5], "verdict_outcome": "failed",
                "message": "x " * 40, "reason": None, "source": "sql",
                "observed": {"value": n}, "offenders": {"total": 40, "sample": [
                    {"name": f"DEV{i}", "resource_id": i, "values": {}} for i in range(10)]},
                "remediation": check.remediation, "reference": check.reference,
                "waiver": None, "duration": 0.01})
    return {
        "schema_version": 1, "tool": {"name": "pytest-cmaad", "version": "0"},
        "run": {"started_at": "t0", "finished_at": "t1", "partial": False, "stopped_by": None,
                "not_reached": [], "collection_errors": [], "exit_status": 1, "replay": None,
                "args": []},
        "sites": [{"name": f"S{s:02}", "site_code": None, "lab_scenario": None,
                   "collected": True, "collected_at": "t0", "sources": {},
                   "disagreements": [], "settings": {},
                   "steps": steps([r for r in results if r["site"] == f"S{s:02}"]),
                   "counts": {}} for s in range(sites)],
        "results": results,
        "waivers": {"file": None, "applied": [], "expired": [], "unused": []},
        "counts": {},
    }


def test_render_is_fast_and_self_contained(tmp_path: Path) -> None:
    """10 sites x 30 checks render well under a second and fetch nothing from the network."""
    document = synthetic(10, 30)
    begin = time.perf_counter()
    page = render_html(document)
    assert time.perf_counter() - begin < 1.0
    assert page.count('<tr class="result"') == 300
    assert not re.search(r"<script[^>]+src=|<link\b|<img\b|url\(|@import", page)


def test_browser_reads_the_chain_from_a_real_run(pytester: pytest.Pytester) -> None:
    """A two-site run: chromium shows each site's six steps with the statuses of
    evidence.json, and the filters hide other sites' rows."""
    chromium()
    folder = pytester.path / "evidence"
    run_lab(pytester, "--cm-site=lab:http-only", "--cm-site=lab:legacy-clients",
            f"--cm-evidence={folder}")
    evidence = json.loads((folder / "evidence.json").read_text(encoding="utf-8"))
    expected = {s["name"]: {st["step"]: st["status"] for st in s["steps"]}
                for s in evidence["sites"]}
    assert expected["lab:http-only"][5] == "failed"
    assert expected["lab:legacy-clients"][4] == "failed"
    page = folder / "report.html"
    assert statuses(dump_dom(page)) == expected
    filtered = dump_dom(page, "?site=lab:legacy-clients&outcome=failed")
    shown = re.search(r'<span id="shown">(\d+) of (\d+) shown</span>', filtered)
    assert shown is not None and shown.group(1) == "1"
    assert int(shown.group(2)) == len(evidence["results"])
    assert re.search(r'<section class="site" data-site="lab:http-only" hidden', filtered)


def test_browser_loads_ten_sites_quickly(tmp_path: Path) -> None:
    """The 10 x 30 page loads and runs its filter script in the browser in a few seconds."""
    chromium()
    page = tmp_path / "report.html"
    page.write_text(render_html(synthetic(10, 30)), encoding="utf-8")
    begin = time.perf_counter()
    dom = dump_dom(page, "?outcome=failed")
    assert time.perf_counter() - begin < 30
    assert '<span id="shown">60 of 300 shown</span>' in dom
    assert len(statuses(dom)) == 10
