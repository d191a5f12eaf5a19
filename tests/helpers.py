"""Helpers for the plugin's own tests: run pytest on the lab and read its JUnit report."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DB_CHECKS = frozenset({
    "CMAAD-101", "CMAAD-102", "CMAAD-103", "CMAAD-104", "CMAAD-105", "CMAAD-201", "CMAAD-202",
    "CMAAD-301", "CMAAD-401", "CMAAD-402", "CMAAD-403", "CMAAD-404", "CMAAD-501", "CMAAD-502",
    "CMAAD-503",
})
MP_CHECKS = frozenset({"CMAAD-302", "CMAAD-303", "CMAAD-304", "CMAAD-305"})
HOST_CHECKS = frozenset({"CMAAD-601", "CMAAD-602", "CMAAD-603", "CMAAD-604", "CMAAD-605",
                         "CMAAD-606"})
# The checks the lab site decides (the rest skip there); each source's lab adds its own.
GRAPH_CHECKS = frozenset({"CMAAD-504", "CMAAD-505", "CMAAD-506", "CMAAD-507", "CMAAD-508",
                          "CMAAD-509"})
LAB_CHECKS = DB_CHECKS | MP_CHECKS | HOST_CHECKS | GRAPH_CHECKS
# A skip because the object lacks the role (a site system that is no MP) ranks lowest.
SEVERITY_OF_OUTCOME = ("not-applicable", "passed", "skipped", "error", "failed")


@dataclass
class Case:
    """One JUnit testcase: its name, outcome, properties and message."""

    name: str
    outcome: str
    properties: dict[str, str]
    message: str = ""

    @property
    def not_applicable(self) -> bool:
        """A skip because the object does not have the role the check is about."""
        return self.outcome == "skipped" and "not-applicable:" in self.message


@dataclass
class Report:
    """A pytest run: its result object and its JUnit testcases."""

    result: pytest.RunResult
    cases: list[Case] = field(default_factory=list)

    def ids(self, outcome: str, site: str | None = None) -> set[str]:
        """Check ids of the testcases with ``outcome`` (optionally for one site)."""
        return {c.properties["cm_check_id"] for c in self.cases
                if c.outcome == outcome and (site is None or c.properties["cm_site"] == site)}

    def worst(self) -> dict[str, str]:
        """Each check id's worst outcome over its testcases (failed > error > skipped)."""
        result: dict[str, str] = {}
        for case in self.cases:
            check = case.properties["cm_check_id"]
            rank = SEVERITY_OF_OUTCOME.index
            outcome = "not-applicable" if case.not_applicable else case.outcome
            if check not in result or rank(outcome) > rank(result[check]):
                result[check] = outcome
        return {check: "skipped" if worst == "not-applicable" else worst
                for check, worst in result.items()}

    def with_worst(self, outcome: str) -> set[str]:
        """The check ids whose worst outcome is ``outcome``."""
        return {check for check, worst in self.worst().items() if worst == outcome}

    def checks(self, site: str) -> set[str]:
        """Every check id with a testcase for ``site``."""
        return {c.properties["cm_check_id"] for c in self.cases
                if c.properties.get("cm_site") == site}

    def case(self, check_id: str, site: str | None = None) -> Case:
        """The testcase of a check that runs once per site."""
        found = [c for c in self.cases if c.properties.get("cm_check_id") == check_id
                 and (site is None or c.properties.get("cm_site") == site)]
        assert len(found) == 1, [c.name for c in found]
        return found[0]


def parse_junit(path: Path) -> list[Case]:
    """Read the testcases of a JUnit XML file."""
    cases = []
    for element in ET.parse(path).getroot().iter("testcase"):
        properties = {p.get("name", ""): p.get("value", "")
                      for p in element.iter("property")}
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            child = element.find(tag)
            if child is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = (child.get("message") or "") + "\n" + (child.text or "")
                break
        cases.append(Case(element.get("name", ""), outcome, properties, message))
    return cases


def run_lab(pytester: pytest.Pytester, *args: str, subprocess: bool = False) -> Report:
    """Run pytest with ``args`` and JUnit output; warnings about properties are errors."""
    junit = pytester.path / "junit.xml"
    argv = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest",
            "-W", "error::pytest.PytestWarning",
            "-W", "ignore::pytest.PytestAssertRewriteWarning", f"--junitxml={junit}", *args]
    run = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    result = run(*argv)
    return Report(result, parse_junit(junit) if junit.exists() else [])


def require_driver18() -> None:
    """Skip a test that needs Microsoft ODBC Driver 18 when it is missing; fail instead where
    the environment says it must be there (``CMAAD_REQUIRE_DRIVER18=1``, set by scripts/test)."""
    from pytest_cmaad.lab.tds.driver import INSTALL_HINT, driver18_available

    if driver18_available():
        return
    reason = f"Microsoft ODBC Driver 18 for SQL Server is not installed: {INSTALL_HINT}"
    if os.environ.get("CMAAD_REQUIRE_DRIVER18") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
