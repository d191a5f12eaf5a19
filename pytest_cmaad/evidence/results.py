"""Results: each test's verdict and waiver carried on its reports, and gathered into records.

:class:`ResultRecorder` runs wherever tests run (also on pytest-xdist workers): it puts the
verdict on the call report as JSON (report attributes survive xdist's serialization) and turns
a failure a waiver covers into an xfail. :class:`ResultLog` runs where reports arrive (the
controller) and turns the reports of each test into one record.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import pytest

from ..catalog import CATALOG, STEPS
from ..checks import Verdict
from ..config import redact
from ..stash import VERDICT_KEY
from ..waivers import WaiverSet

VERDICT_ATTR = "cm_verdict"
WAIVER_ATTR = "cm_waiver"
OUTCOMES = ("failed", "error", "waived", "passed", "skipped")
MESSAGE_CHARS = 4000


class ResultRecorder:
    """Attaches verdicts to reports and applies waivers (on every process that runs tests)."""

    def __init__(self, waivers: WaiverSet | None) -> None:
        self.waivers = waivers

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Carry the verdict on the report; waive a covered failure."""
        report = yield
        verdict = item.stash.get(VERDICT_KEY, None)
        if verdict is None or getattr(report, VERDICT_ATTR, None) is not None:
            return report
        if report.when == "call" or (report.when == "setup" and not report.passed):
            setattr(report, VERDICT_ATTR, verdict.model_dump_json())
            self._waive(item, report, verdict)
        return report

    def _waive(self, item: pytest.Item, report: pytest.TestReport, verdict: Verdict) -> None:
        if self.waivers is None or not report.failed or report.when != "call":
            return
        decision = self.waivers.decide(verdict)
        if decision is None:
            return
        setattr(report, WAIVER_ATTR, json.dumps(decision.as_dict()))
        # junitxml writes the properties of the teardown report, which copies the item's.
        prop = ("cm_waiver", f"{decision.state}: {decision.waiver.describe()}")
        item.user_properties.append(prop)
        report.user_properties.append(prop)
        if decision.state == "applied":
            report.outcome = "skipped"
            report.wasxfail = f"waived: {decision.waiver.describe()}"


@dataclass(eq=False)  # a plugin: pluggy keeps plugins in sets, so it must stay hashable
class ResultLog:
    """The reports of each test, gathered into records (on the controller, never a worker).

    Also notes what stopped the run early: Ctrl-C, an internal error, collection errors.
    """

    phases: dict[str, list[pytest.TestReport]] = field(default_factory=dict)
    collected: list[str] = field(default_factory=list)
    collection_errors: list[str] = field(default_factory=list)
    stopped_by: str | None = None

    def add(self, report: pytest.TestReport) -> None:
        """Keep one report (setup, call or teardown) of a test."""
        self.phases.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Gather every test report."""
        self.add(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Note collection errors (a source that crashed while parametrizing, say)."""
        if report.failed:
            self.collection_errors.append(
                f"{report.nodeid or '<session>'}: {redact(report.longreprtext.strip())[-300:]}")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Remember what was collected, to say what was not reached."""
        self.collected.extend(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Under pytest-xdist the controller learns the collection from the workers."""
        if not self.collected:
            self.collected.extend(ids)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Ctrl-C: the evidence is written anyway, marked partial."""
        self.stopped_by = "interrupted (KeyboardInterrupt)"

    def pytest_internalerror(self, excrepr: Any, excinfo: pytest.ExceptionInfo[BaseException]
                             ) -> None:
        """A crash inside pytest or a plugin: the evidence is marked partial."""
        self.stopped_by = f"internal error: {redact(str(excinfo.value))[:300]}"

    def records(self) -> list[dict[str, Any]]:
        """One record per test that ran: outcome, check metadata, verdict, waiver, duration."""
        return [_record(nodeid, reports) for nodeid, reports in self.phases.items()]

    def not_reached(self) -> list[str]:
        """Collected tests that never reported (the run stopped before them)."""
        return [n for n in self.collected if n not in self.phases]


def _outcome(reports: list[pytest.TestReport]) -> tuple[str, pytest.TestReport]:
    by_phase = {r.when: r for r in reports}
    setup, call = by_phase.get("setup"), by_phase.get("call")
    if setup is not None and setup.failed:
        return "error", setup
    if setup is not None and setup.skipped:
        return ("waived" if hasattr(setup, "wasxfail") else "skipped"), setup
    if call is not None:
        if call.skipped:
            return ("waived" if hasattr(call, "wasxfail") else "skipped"), call
        if call.failed:
            return "failed", call
    teardown = by_phase.get("teardown")
    if teardown is not None and teardown.failed:
        return "error", teardown
    return "passed", call or reports[-1]


def _record(nodeid: str, reports: list[pytest.TestReport]) -> dict[str, Any]:
    outcome, decisive = _outcome(reports)
    props = {}
    for report in reports:
        props.update({str(k): str(v) for k, v in report.user_properties})
    verdict_json = next((getattr(r, VERDICT_ATTR) for r in reports
                         if getattr(r, VERDICT_ATTR, None)), None)
    waiver_json = next((getattr(r, WAIVER_ATTR) for r in reports
                        if getattr(r, WAIVER_ATTR, None)), None)
    verdict: dict[str, Any] = json.loads(verdict_json) if verdict_json else {}
    check_id = props.get("cm_check_id") or verdict.get("check_id")
    check = CATALOG.get(check_id) if check_id else None
    step = check.step if check else _step_number(props.get("cm_step", ""))
    message = verdict.get("message")
    if message is None:
        message = _longrepr_text(decisive)
    return {
        "nodeid": nodeid,
        "check_id": check_id,
        "title": check.title if check else None,
        "step": step,
        "step_name": STEPS.get(step) if step else None,
        "severity": props.get("cm_severity") or (check.severity if check else None),
        "site": props.get("cm_site") or verdict.get("site"),
        "object": props.get("cm_object") or verdict.get("object"),
        "outcome": outcome,
        "verdict_outcome": verdict.get("outcome"),
        "message": redact(message)[:MESSAGE_CHARS],
        "reason": verdict.get("reason"),
        "source": verdict.get("source"),
        "observed": verdict.get("observed", {}),
        "offenders": verdict.get("offenders"),
        "remediation": check.remediation if check else None,
        "reference": check.reference if check else None,
        "waiver": json.loads(waiver_json) if waiver_json else None,
        "duration": round(sum(r.duration for r in reports), 6),
    }


def _step_number(text: str) -> int | None:
    head = text.split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def _longrepr_text(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    return report.longreprtext.strip() if report.longrepr else ""
