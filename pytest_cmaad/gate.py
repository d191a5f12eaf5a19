"""The gate (``--cm-fail-on SEVERITY``): which failures make the run's exit status non-zero.

It changes only the exit status; every test keeps its reported outcome. Failures and errors
of checks below the threshold no longer count; tests without a severity (custom tests
without a ``cmaad_check`` marker) always count.
"""

from __future__ import annotations

import pytest

from .catalog import SEVERITIES, Severity


class FailGate:
    """Counts the failures at or above ``threshold`` and sets the exit status from them."""

    def __init__(self, threshold: Severity) -> None:
        self.threshold = threshold
        self.counted: set[str] = set()
        self.ignored: set[str] = set()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Sort each failed report into counted and ignored."""
        if not report.failed:
            return
        severity = dict(report.user_properties).get("cm_severity")
        if severity in SEVERITIES and SEVERITIES.index(severity) < SEVERITIES.index(
                self.threshold):
            self.ignored.add(report.nodeid)
        else:
            self.counted.add(report.nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Turn "tests failed" into "ok" when every failure is below the threshold."""
        if session.exitstatus == pytest.ExitCode.TESTS_FAILED and not self.counted:
            session.exitstatus = pytest.ExitCode.OK

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Say which failures the gate did not count."""
        if self.ignored:
            terminalreporter.write_sep(
                "-", f"cmaad gate: --cm-fail-on={self.threshold}: {len(self.ignored)} failure(s) "
                     f"below {self.threshold} do not fail the run, {len(self.counted)} do")
