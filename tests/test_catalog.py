"""The catalog, the built-in suite and the evaluators agree with each other."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from helpers import DB_CHECKS

from pytest_cmaad.catalog import CATALOG, SEVERITIES, STEPS
from pytest_cmaad.checks import registered_checks
from pytest_cmaad.plugin import SUITE, SUITE_MODULES


def suite_tests() -> dict[str, str]:
    """Check id -> test function name, read from the suite modules."""
    found: dict[str, str] = {}
    for name in SUITE_MODULES:
        tree = ast.parse((SUITE / name).read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                (decorator,) = node.decorator_list
                assert isinstance(decorator, ast.Call)
                check_id = ast.literal_eval(decorator.args[0])
                assert check_id not in found
                found[check_id] = node.name
    return found


def test_every_check_has_one_suite_test_named_after_it() -> None:
    tests = suite_tests()
    assert set(tests) == set(CATALOG)
    for check_id, name in tests.items():
        assert name.startswith("test_" + check_id.replace("-", "").lower() + "_")


def test_suite_modules_are_all_collected() -> None:
    assert {p.name for p in Path(SUITE).glob("test_*.py")} == set(SUITE_MODULES)


def test_catalog_entries_are_complete() -> None:
    for check_id, check in CATALOG.items():
        assert re.fullmatch(r"CMAAD-\d{3}", check_id)
        assert check.severity in SEVERITIES and check.step in STEPS
        assert check.title.endswith(".") and check.why and check.remediation
        assert check.reference.startswith("https://")
        assert check.sources


def test_the_database_checks_have_evaluators() -> None:
    assert DB_CHECKS <= set(registered_checks()) <= set(CATALOG)
    assert all("sql" in CATALOG[c].sources for c in DB_CHECKS)
