"""The evidence reporter: registered only with ``--cm-evidence`` and never on xdist workers.

Like pytest's junitxml it is a plain class whose methods are hooks; it writes the whole set
once, at session end, which pytest reaches also after Ctrl-C or a crash (the set is then
marked partial and lists what was not reached).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ..replay import dump_sites
from ..stash import Run
from ..waivers import WaiverSet
from . import document
from .files import write_atomically
from .html import render_html
from .results import ResultLog
from .summary import render_summary

FILES = ("evidence.json", "snapshot.json", "report.html", "summary.md", "manifest.json")


class EvidenceWriter:
    """Writes ``evidence.json``, ``snapshot.json``, ``report.html``, ``summary.md`` and
    ``manifest.json`` into one folder."""

    def __init__(self, directory: Path, run: Run, log: ResultLog, waivers: WaiverSet | None,
                 args: list[str], replay: str | None) -> None:
        self.directory = directory
        self.run = run
        self.log = log
        self.waivers = waivers
        self.args = args
        self.replay = replay
        self.started_at = datetime.now(timezone.utc)
        self.written: str | None = None
        self.problem: str | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the set, after every other plugin (the gate included) has had its say."""
        begin = time.perf_counter()
        sites = list(self.run.sites.values())
        info = document.RunInfo(
            started_at=self.started_at, finished_at=datetime.now(timezone.utc),
            args=self.args, exit_status=int(session.exitstatus), replay=self.replay,
            stopped_by=self.log.stopped_by, not_reached=self.log.not_reached(),
            collection_errors=self.log.collection_errors)
        evidence = document.build(info, sites, self.log.records(), self.waivers)
        files = {
            "evidence.json": json.dumps(evidence, indent=1, default=str).encode(),
            "snapshot.json": dump_sites(sites).encode(),
            "report.html": render_html(evidence).encode(),
            "summary.md": render_summary(evidence).encode(),
        }
        try:
            write_atomically(self.directory, files)
        except OSError as exc:
            self.problem = f"cmaad: could not write the evidence set to {self.directory}: {exc}"
            return
        partial = " (partial)" if evidence["run"]["partial"] else ""
        self.written = (f"cmaad evidence{partial}: {self.directory} "
                        f"({len(FILES)} files, {time.perf_counter() - begin:.2f}s)")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Say where the set went (like junitxml's ``generated xml file``)."""
        if self.problem:
            terminalreporter.write_sep("-", self.problem, red=True)
        elif self.written:
            terminalreporter.write_sep("-", self.written)
