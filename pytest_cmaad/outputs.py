"""Run outputs: verdicts on reports, waivers, the gate, the evidence set, replayed sites.

:func:`configure_outputs` registers the helper plugins the options ask for: the result
recorder everywhere tests run, the rest only on the controller (never on pytest-xdist
workers, as pytest's junitxml does).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from .catalog import SEVERITIES, Severity
from .evidence import EvidenceWriter, ResultLog, ResultRecorder
from .evidence.document import waiver_summary
from .gate import FailGate
from .replay import load_sites
from .sites import Site
from .snapshot import SnapshotFormatError
from .stash import Run
from .waivers import WaiverError, WaiverSet, load_waivers


def add_output_options(group: Any, parser: pytest.Parser) -> None:
    """The ``--cm-evidence``, ``--cm-replay``, ``--cm-waivers`` and ``--cm-fail-on`` options."""
    group.addoption("--cm-evidence", dest="cm_evidence", metavar="DIR", default=None,
                    help="Write the evidence set (evidence.json, snapshot.json, report.html, "
                         "summary.md, manifest.json) into DIR")
    group.addoption("--cm-replay", dest="cm_replay", metavar="FILE", default=None,
                    help="Evaluate a saved snapshot.json instead of contacting anything")
    group.addoption("--cm-waivers", dest="cm_waivers", metavar="FILE", default=None,
                    help="Accepted exceptions (TOML [[waiver]] tables)")
    group.addoption("--cm-fail-on", dest="cm_fail_on", metavar="SEVERITY", default=None,
                    choices=SEVERITIES,
                    help="Only failures at or above SEVERITY make the exit status non-zero "
                         "(low, the default, counts every failure)")
    parser.addini("cm_evidence", "Folder for the evidence set")
    parser.addini("cm_replay", "Saved snapshot.json to evaluate instead of contacting anything")
    parser.addini("cm_waivers", "Waiver file (TOML)")
    parser.addini("cm_fail_on", "Lowest severity that fails the run", default="low")


def option(config: pytest.Config, name: str) -> str | None:
    """An output option from the command line, else its ini key (None when empty)."""
    value = getattr(config.option, name, None)
    return str(value) if value else (str(config.getini(name)) or None)


def replay_sites(config: pytest.Config, names: list[str]) -> dict[str, Site] | None:
    """With ``--cm-replay``: the sites of the saved snapshot set (those named, or all).

    :raises pytest.UsageError: on a file that cannot be read or a site it does not hold.
    """
    path = option(config, "cm_replay")
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise pytest.UsageError(f"--cm-replay: {path}: cannot read: {exc}") from None
    try:
        sites = load_sites(text, path)
    except SnapshotFormatError as exc:
        raise pytest.UsageError(str(exc)) from None
    return select(sites, names, path)


def select(sites: dict[str, Site], names: list[str], origin: str) -> dict[str, Site]:
    """The named sites (all when ``names`` is empty)."""
    if not names:
        return sites
    missing = [n for n in names if n not in sites]
    if missing:
        raise pytest.UsageError(f"--cm-site={missing[0]}: not in {origin} (it holds "
                                f"{', '.join(sites)})")
    return {n: sites[n] for n in names}


def configure_outputs(config: pytest.Config, run: Run) -> None:
    """Register the result recorder, and on the controller the log, gate and evidence."""
    waivers = _load_waivers(config)
    config.pluginmanager.register(ResultRecorder(waivers), "cmaad-results")
    if hasattr(config, "workerinput"):
        return
    log = ResultLog()
    config.pluginmanager.register(log, "cmaad-log")
    if waivers is not None:
        config.pluginmanager.register(WaiverSummary(waivers, log), "cmaad-waivers")
    fail_on = option(config, "cm_fail_on") or "low"
    if fail_on not in SEVERITIES:
        raise pytest.UsageError(f"cm_fail_on: expected one of {', '.join(SEVERITIES)}, "
                                f"got {fail_on!r}")
    severity: Severity = SEVERITIES[SEVERITIES.index(fail_on)]
    if severity != "low":
        config.pluginmanager.register(FailGate(severity), "cmaad-gate")
    directory = option(config, "cm_evidence")
    if directory is not None:
        config.pluginmanager.register(
            EvidenceWriter(Path(directory), run, log, waivers,
                           list(config.invocation_params.args), option(config, "cm_replay")),
            "cmaad-evidence")


def _load_waivers(config: pytest.Config) -> WaiverSet | None:
    path = option(config, "cm_waivers")
    if path is None:
        return None
    try:
        return load_waivers(Path(path), date.today())
    except WaiverError as exc:
        raise pytest.UsageError(str(exc)) from None


class WaiverSummary:
    """Lists applied, expired and unused waivers at the end of the terminal report."""

    def __init__(self, waivers: WaiverSet, log: ResultLog) -> None:
        self.waivers = waivers
        self.log = log

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """One line per waiver that was applied, has expired or matched nothing."""
        summary = waiver_summary(self.waivers, self.log.records())
        if not any(summary[k] for k in ("applied", "expired", "unused")):
            return
        terminalreporter.write_sep("-", "cmaad waivers")
        for state in ("applied", "expired", "unused"):
            for waiver in summary[state]:
                where = f" on {waiver['site']}" if waiver["site"] else ""
                objects = f" objects {', '.join(waiver['objects'])}" if waiver["objects"] else ""
                terminalreporter.write_line(
                    f"{state}: {waiver['check']}{where}{objects}: {waiver['justification']} "
                    f"(owner {waiver['owner'] or '-'}, expires {waiver['expires']}; "
                    f"{self.waivers.path}:{self._line(waiver['index'])})")

    def _line(self, index: int) -> int:
        return next(w.line for w in self.waivers.waivers if w.index == index)
