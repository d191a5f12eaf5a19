"""Fixtures of the TDS tests: lab databases served over TDS to Microsoft ODBC Driver 18."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import require_driver18
from tds_support import NOW, Connect

from pytest_cmaad import sites
from pytest_cmaad.lab import SCENARIOS, LabSite
from pytest_cmaad.lab.build import build_database
from pytest_cmaad.lab.tds.endpoint import LabTdsEndpoint, start_lab_tds
from pytest_cmaad.sources.sitedb.database import OdbcDatabase


@pytest.fixture
def driver18() -> None:
    """Microsoft ODBC Driver 18 is installed and registered (skip or fail otherwise)."""
    require_driver18()


@pytest.fixture(scope="module")
def lab_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A healthy lab database and its INFORMATION_SCHEMA, shared read-only by a module."""
    folder = tmp_path_factory.mktemp("tds-lab")
    return build_database(SCENARIOS["healthy"], folder, 300, 4, NOW.replace(tzinfo=None))


@pytest.fixture
def endpoint(driver18: None, lab_files: tuple[Path, Path], tmp_path: Path
             ) -> Iterator[LabTdsEndpoint]:
    """The healthy lab database behind a TLS-capable TDS server."""
    served = start_lab_tds(tmp_path, *lab_files)
    yield served
    served.stop()


@pytest.fixture
def connect(endpoint: LabTdsEndpoint) -> Iterator[Connect]:
    """Open the plugin's database connection to ``endpoint`` (closed after the test)."""
    opened: list[OdbcDatabase] = []

    def open_database(encrypt: str = "yes", environment: dict[str, str] | None = None,
                      query_timeout: int = 30, **extra: Any) -> OdbcDatabase:
        database = OdbcDatabase(
            endpoint.connection_string(encrypt, **extra), login_timeout=5,
            query_timeout=query_timeout,
            environment=endpoint.client_environment if environment is None else environment)
        opened.append(database)
        return database

    yield open_database
    for database in opened:
        database.close()


@pytest.fixture
def tds_lab(driver18: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[Callable[[str], LabSite]]:
    """Build lab sites with only their database, served over TDS (stopped after the test).

    Collections in the test read only the database source; the lab's other stand-ins are
    neither started nor asked.
    """
    monkeypatch.setattr(sites, "COLLECTORS", {"sql": sites.COLLECTORS["sql"]})
    built: list[LabSite] = []

    def make(scenario: str = "healthy") -> LabSite:
        folder = tmp_path / scenario
        folder.mkdir()
        database, information_schema = build_database(SCENARIOS[scenario], folder, 300, 4,
                                                      NOW.replace(tzinfo=None))
        lab = LabSite(SCENARIOS[scenario], folder, "tds", database, information_schema)
        built.append(lab)
        lab.start_sql_endpoint()
        return lab

    yield make
    for lab in built:
        lab.close()
