"""Fixtures for the built-in suite and for custom suites."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .catalog import CATALOG
from .checks import Verdict, describe_failure, evaluate
from .sites import Site
from .snapshot import SiteSnapshot
from .sources.sitedb.database import Database, DatabaseError
from .sources.sitedb.guard import NotReadOnly
from .sources.sitedb.normalize import normalize_any
from .stash import RUN_KEY, VERDICT_KEY


@pytest.fixture(scope="session")
def cm_site(request: pytest.FixtureRequest) -> Site:
    """The site under test (one per ``--cm-site``; the site is in the test id)."""
    run = request.config.stash.get(RUN_KEY, None)
    if run is None:
        pytest.skip("source-not-configured:site: no site selected; run with --cm-site=NAME")
    if not hasattr(request, "param"):
        raise pytest.UsageError(
            "cm_site is parametrized by pytest-cmaad; a fixture that overrides it must take "
            "request.param or depend on cm_site itself")
    return run.sites[request.param]


@pytest.fixture
def cm_object(request: pytest.FixtureRequest) -> str | None:
    """The management point, client or site system a per-object check is about (or None)."""
    return getattr(request, "param", None)


@pytest.fixture(scope="session")
def cm_snapshot(cm_site: Site) -> SiteSnapshot:
    """Everything collected about the site (collected once per session)."""
    return cm_site.snapshot()


class SqlReader:
    """Read-only queries against the site database, for custom suites."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def query(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Run one SELECT; rows come back as dicts keyed by column name.

        >>> cm_sql.query("SELECT COUNT(*) AS n FROM AAD_Tenant_Ex")
        [{'n': 1}]
        """
        __tracebackhide__ = True
        try:
            names, rows = self._database.query_with_names(sql, params)
        except NotReadOnly as exc:
            pytest.fail(f"sql: {exc}", pytrace=False)
        except DatabaseError as exc:
            pytest.fail(str(exc), pytrace=False)
        return [{n: normalize_any(v) for n, v in zip(names, row, strict=True)} for row in rows]


@pytest.fixture(scope="session")
def cm_sql(cm_site: Site) -> Iterator[SqlReader]:
    """A read-only connection to the site database (skips when ``sql`` is not set)."""
    if not cm_site.settings.configured("sql"):
        pytest.skip(f"source-not-configured:sql: {cm_site.settings.source_key_hint('sql')}")
    try:
        database = cm_site.connect_sql()
    except DatabaseError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield SqlReader(database)
    finally:
        database.close()


@pytest.fixture
def cm_verdict(request: pytest.FixtureRequest, cm_site: Site, cm_object: str | None) -> Verdict:
    """The verdict of the test's ``cmaad_check`` marker on the site.

    Skips when the check's source is not configured or there is nothing to check, and errors
    (never passes) when the check cannot be decided.
    """
    marker = request.node.get_closest_marker("cmaad_check")
    if marker is None or not marker.args or marker.args[0] not in CATALOG:
        raise pytest.UsageError(
            f"{request.node.nodeid}: cm_verdict needs @pytest.mark.cmaad_check('CMAAD-NNN') "
            "naming a built-in check")
    verdict = evaluate(marker.args[0], cm_site.settings, cm_site.snapshot(), cm_object)
    request.node.stash[VERDICT_KEY] = verdict
    if verdict.outcome == "skipped":
        pytest.skip(verdict.message)
    if verdict.outcome == "error":
        pytest.fail(f"{verdict.check_id} cannot be decided: {verdict.message}", pytrace=False)
    return verdict


def assert_verdict(verdict: Verdict) -> None:
    """Fail with the check's full failure text unless the verdict passed."""
    __tracebackhide__ = True
    if verdict.outcome != "passed":
        pytest.fail(describe_failure(CATALOG[verdict.check_id], verdict), pytrace=False)

