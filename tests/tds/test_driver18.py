"""SQL Server's types and parameter binding through pyodbc and the real ODBC Driver 18."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from helpers import DB_CHECKS
from tds_support import NOW, Connect

from pytest_cmaad import sites
from pytest_cmaad.checks import evaluate
from pytest_cmaad.config import resolve_site
from pytest_cmaad.lab import SCENARIOS, LabSite
from pytest_cmaad.lab.build import build_database
from pytest_cmaad.lab.tds import TdsServer
from pytest_cmaad.lab.tds.driver import DRIVER_NAME
from pytest_cmaad.lab.tds.endpoint import LabTdsEndpoint
from pytest_cmaad.sites import Site, collect_snapshot
from pytest_cmaad.sources.sitedb.database import OdbcDatabase
from pytest_cmaad.sources.sitedb.normalize import normalize

GUID = "6F1C7E2A-3B4D-4C5E-9F60-718293A4B5C6"
COLUMNS = (
    ("Id", "int"), ("Guid", "uniqueidentifier"), ("Legacy", "datetime"),
    ("Precise", "datetime2"), ("Flag", "bit"), ("Big", "bigint"), ("Small", "smallint"),
    ("Tiny", "tinyint"), ("Ratio", "float"), ("Name", "nvarchar(20)"), ("Body", "ntext"),
    ("Blob", "varbinary(16)"), ("Day", "date"), ("Clock", "time"), ("Zoned", "datetimeoffset"),
)
ROW = (1, GUID, "2026-11-29 11:58:00.123", "2026-11-29 11:58:00.1234567", 1, 2**40, -7, 200,
       0.25, "Contoso", "x" * 9000, b"\x00\xff", "2026-11-29", "11:58:00.5",
       "2026-11-29 13:58:00+02:00")


@pytest.fixture
def types_server(driver18: None, tmp_path: Path) -> Iterator[TdsServer]:
    """A database with one column of each type (a full row and a row of NULLs), over TDS."""
    path = tmp_path / "types.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE Types (" + ", ".join(f"[{n}] {t}" for n, t in COLUMNS) + ")")
        conn.execute(f"INSERT INTO Types VALUES ({', '.join('?' * len(COLUMNS))})", ROW)
        conn.execute("INSERT INTO Types (Id) VALUES (2)")
    conn.close()
    with TdsServer(path, user="reader", password="Sup3r-Secret", database_name="TYPES") as server:
        yield server


def test_values_arrive_with_sql_server_types(types_server: TdsServer) -> None:
    """Driver 18 decodes each declared type as SQL Server's; NULL is None in every type."""
    db = OdbcDatabase(f"DRIVER={{{DRIVER_NAME}}};SERVER=127.0.0.1,{types_server.port};"
                      "DATABASE=TYPES;UID=reader;PWD=Sup3r-Secret;Encrypt=no", 5, 10)
    try:
        names, rows = db.query_with_names("SELECT * FROM Types ORDER BY Id")
    finally:
        db.close()
    assert names == [n for n, _t in COLUMNS]
    full, empty = (dict(zip(names, row, strict=True)) for row in rows)
    assert full["Guid"] == GUID  # uniqueidentifier arrives as an upper-case string
    assert full["Legacy"] == datetime(2026, 11, 29, 11, 58, 0, 123000)  # 1/300 s ticks
    assert full["Precise"] == datetime(2026, 11, 29, 11, 58, 0, 123456)
    assert full["Flag"] is True
    assert (full["Big"], full["Small"], full["Tiny"], full["Ratio"]) == (2**40, -7, 200, 0.25)
    assert full["Name"] == "Contoso" and full["Body"] == "x" * 9000
    assert bytes(full["Blob"]) == b"\x00\xff"
    assert full["Day"] == date(2026, 11, 29)
    assert full["Clock"] == time(11, 58, 0, 500000)
    assert full["Zoned"] == datetime(2026, 11, 29, 11, 58, tzinfo=timezone.utc)
    assert full["Zoned"].utcoffset() == timedelta(hours=2)
    assert set(empty.values()) == {None, 2}
    assert normalize(full["Guid"], "guid") == GUID.lower()
    assert normalize(full["Precise"], "datetime") == datetime(
        2026, 11, 29, 11, 58, 0, 123456, tzinfo=timezone.utc)
    assert normalize(full["Flag"], "bool") is True


@pytest.mark.parametrize(("value", "sql"), [
    ("LAB-WS00001", "SELECT COUNT(*) FROM v_R_System WHERE Name0 = ?"),
    ("lab-ws00001", "SELECT COUNT(*) FROM v_R_System WHERE Name0 = ?"),
    (16777220, "SELECT COUNT(*) FROM v_R_System WHERE ResourceID = ?"),
    (True, "SELECT COUNT(*) FROM ClientKeyData WHERE IsRevoked = ?"),
    (uuid.UUID(GUID), "SELECT COUNT(*) FROM AAD_Tenant_Ex WHERE TenantID = ?"),
    (GUID.lower(), "SELECT COUNT(*) FROM AAD_Tenant_Ex WHERE TenantID = ?"),
    (NOW - timedelta(days=8), "SELECT COUNT(*) FROM v_StatusMessage WHERE Time >= ?"),
    (NOW.replace(tzinfo=None) - timedelta(days=8),
     "SELECT COUNT(*) FROM v_StatusMessage WHERE Time >= ?"),
    (Decimal("16777220"), "SELECT COUNT(*) FROM v_R_System WHERE ResourceID = ?"),
    (1.0, "SELECT COUNT(*) FROM AAD_Tenant_Ex WHERE ID = ?"),
])
def test_parameters_bind_through_sp_prepexec(connect: Connect, endpoint: LabTdsEndpoint,
                                             value: Any, sql: str) -> None:
    """Each Python type a check could pass matches the lab's rows like SQL Server would."""
    db = connect()
    (count,), = db.query(sql, (value,))
    assert count > 0
    rpc = [r for r in endpoint.server.record.requests if r.procedure == "sp_prepexec"]
    assert rpc and rpc[-1].sql == sql.replace("?", "@P1")


def test_long_strings_and_nulls_take_the_drivers_other_paths(connect: Connect,
                                                             endpoint: LabTdsEndpoint) -> None:
    """Over 4,000 characters: sp_prepare + sp_execute; None: sp_describe_undeclared_parameters."""
    db = connect()
    assert db.query("SELECT LENGTH(?) AS n", ("é" * 5000,)) == [(5000,)]
    assert db.query("SELECT COUNT(*) FROM Sites WHERE ReportToSite = ?", (None,)) == [(0,)]
    procedures = [r.procedure for r in endpoint.server.record.requests if r.kind == "rpc"]
    assert "sp_prepare" in procedures and "sp_execute" in procedures
    assert "sp_describe_undeclared_parameters" in procedures


def test_a_reused_statement_is_sent_again_without_metadata(connect: Connect,
                                                           endpoint: LabTdsEndpoint) -> None:
    """The driver re-executes a prepared handle (fNoMetaData); rows still decode."""
    db = connect()
    sql = "SELECT Name0, AADDeviceID FROM v_R_System WHERE ResourceID = ?"
    first = db.query(sql, (16777220,))
    again = db.query(sql, (16777221,))
    assert len(first) == len(again) == 1 and first != again


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Every scenario's database, built once for the module."""
    return {name: build_database(scenario, tmp_path_factory.mktemp(name), 300, 4,
                                 NOW.replace(tzinfo=None))
            for name, scenario in SCENARIOS.items()}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_scenario_collects_and_decides_the_same_over_tds(
        driver18: None, scenario_files: dict[str, tuple[Path, Path]], tmp_path: Path,
        scenario: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through Driver 18 the database source sees the facts sqlite3 sees (datetimes to SQL
    Server's 1/300 s), so every database check decides the same, message for message."""
    monkeypatch.setattr(sites, "COLLECTORS", {"sql": sites.COLLECTORS["sql"]})
    database, information_schema = scenario_files[scenario]
    labs = [LabSite(SCENARIOS[scenario], tmp_path, mode, database, information_schema)
            for mode in ("tds", "sqlite3")]
    labs[0].start_sql_endpoint()
    try:
        selected = [Site(resolve_site("lab", None, {}, {}, lab.profile()), lab)
                    for lab in labs]
        snapshots = [collect_snapshot(site, NOW) for site in selected]
    finally:
        labs[0].close()
    tds, sqlite = ({name: fact for name, fact in snapshot.facts.model_dump().items()
                    if fact and fact["source"] == "sql"} for snapshot in snapshots)
    assert snapshots[0].sources["sql"].state == "ok"
    assert snapshots[0].sources["sql"].queries == snapshots[1].sources["sql"].queries
    assert len(tds) >= 15
    assert _differences(tds, sqlite, "") == []
    decided = [{check: evaluate(check, site.settings, snapshot).model_dump(
        include={"outcome", "message"}) for check in sorted(DB_CHECKS)}
        for site, snapshot in zip(selected, snapshots, strict=True)]
    assert decided[0] == decided[1]


def _differences(left: Any, right: Any, path: str) -> list[str]:
    if isinstance(left, dict) and isinstance(right, dict):
        if left.keys() != right.keys():
            return [path]
        return [d for k in left for d in _differences(left[k], right[k], f"{path}.{k}")]
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [path]
        return [d for i, (a, b) in enumerate(zip(left, right, strict=True))
                for d in _differences(a, b, f"{path}[{i}]")]
    if isinstance(left, datetime) and isinstance(right, datetime):
        return [] if abs(left - right) <= timedelta(milliseconds=2) else [path]
    return [] if left == right else [f"{path}: {left!r} != {right!r}"]
