"""The site database source: read-only guard, query catalog, drivers, errors, normalization."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlglot
from helpers import DB_CHECKS, MP_CHECKS, run_lab
from sqlglot import exp

from pytest_cmaad.checks import evaluate
from pytest_cmaad.config import resolve_site
from pytest_cmaad.lab import SCENARIOS, LabSite
from pytest_cmaad.lab.build import TENANT_ID
from pytest_cmaad.lab.schema import create_information_schema
from pytest_cmaad.sites import Site, collect_snapshot
from pytest_cmaad.snapshot import SnapshotFormatError, load_snapshot
from pytest_cmaad.sources.sitedb import queries as q
from pytest_cmaad.sources.sitedb.database import (
    DatabaseError,
    OdbcDatabase,
    SqliteDatabase,
    describe_connection_string,
)
from pytest_cmaad.sources.sitedb.guard import NotReadOnly, ensure_read_only
from pytest_cmaad.sources.sitedb.normalize import ValueShapeError, normalize, normalize_any

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def lab_site(tmp_path: Path, scenario: str = "healthy", sql_mode: str = "sqlite3",
             devices: int = 300) -> Site:
    lab = LabSite.build(SCENARIOS[scenario], tmp_path / f"{scenario}-{sql_mode}-{devices}",
                        sql_mode, devices=devices, now=NOW)  # type: ignore[arg-type]
    return Site(resolve_site("lab", None, {}, {}, lab.profile()), lab)


# -- read-only guard ----------------------------------------------------------------------


@pytest.mark.parametrize("sql", [
    "SELECT 1",
    "select a from t where b = ?",
    "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
    "SELECT a FROM t UNION ALL SELECT b FROM u",
])
def test_reads_pass_the_guard(sql: str) -> None:
    ensure_read_only(sql)


@pytest.mark.parametrize(("sql", "why"), [
    ("DELETE FROM ClientKeyData", "DELETE is not a SELECT"),
    ("UPDATE Sites SET Settings = ''", "UPDATE is not a SELECT"),
    ("INSERT INTO AAD_Tenant_Ex (ID) VALUES (2)", "INSERT is not a SELECT"),
    ("SELECT * INTO copy_of_keys FROM ClientKeyData", "the SELECT contains INTO"),
    ("SELECT 1; DROP TABLE ClientKeyData", "2 statements"),
    ("WITH x AS (SELECT 1 AS a) DELETE FROM ClientKeyData", "DELETE is not a SELECT"),
    ("EXEC sp_configure", "is not a SELECT"),
    ("TRUNCATE TABLE ClientKeyData", "is not a SELECT"),
    ("BEGIN TRANSACTION", "is not a SELECT"),
    ("SELECT 'unterminated", "does not parse as T-SQL"),
])
def test_writes_are_refused(sql: str, why: str) -> None:
    with pytest.raises(NotReadOnly, match=why):
        ensure_read_only(sql)


def test_a_write_never_reaches_the_driver(tmp_path: Path) -> None:
    """A refused statement is not sent: the lab's rows and the query count stay the same."""
    site = lab_site(tmp_path, sql_mode="odbc")
    db = site.connect_sql()
    try:
        with pytest.raises(NotReadOnly):
            db.query("DELETE FROM AAD_Tenant_Ex")
        assert db.queries == 0
        assert db.query("SELECT COUNT(*) FROM AAD_Tenant_Ex") == [(1,)]
    finally:
        db.close()


# -- the query catalog --------------------------------------------------------------------

LAB_TABLES = {
    "discovery_settings": "[vSMS_AAD_Discovery_Settings]",
    "sync_settings": "[vSMS_AAD_Sync_Settings]",
    "group_mappings": "[vSMS_CollectionAADGroupMapping]",
}
RENDERINGS = {
    "active": [q.ACTIVE_CLIENT, q.ACTIVE_CLIENT + q.NOT_OBSOLETE],
    "trusted": [q.TRUSTED_KEY],
    "tenants": [q.markers(1), q.markers(3)],
    "builds": [q.markers(1), q.markers(4)],
    "collections": [q.markers(2)],
    "names": [q.markers(1), q.markers(3)],
}


def renderings(query: q.Query) -> list[str]:
    names = [n for n in RENDERINGS if "{" + n + "}" in query.text]
    texts = [query.text.replace("{table}", LAB_TABLES.get(query.name, "{table}"))]
    for name in names:
        texts = [t.replace("{" + name + "}", value) for t in texts for value in RENDERINGS[name]]
    return texts


def test_every_catalog_query_is_listed() -> None:
    names = [query.name for query in q.ALL_QUERIES]
    assert len(names) == len(set(names))
    assert {v.name for v in vars(q).values() if isinstance(v, q.Query)} == set(names)


@pytest.mark.parametrize("query", q.ALL_QUERIES, ids=lambda query: query.name)
def test_query_is_tsql_in_the_common_subset(query: q.Query) -> None:
    """Each rendering parses as T-SQL, is a read, and avoids what SQLite cannot run."""
    for text in renderings(query):
        (tree,) = sqlglot.parse(text, read="tsql")
        assert isinstance(tree, exp.Query)
        ensure_read_only(text)
        upper = text.upper()
        for forbidden in ("ISNULL(", " TOP ", "N'", "DATEADD", "GETDATE", "CONVERT(", "NOLOCK",
                          "DBO."):
            assert forbidden not in upper, (query.name, forbidden)
        assert not list(tree.find_all(exp.National))


@pytest.mark.parametrize("query", q.ALL_QUERIES, ids=lambda query: query.name)
def test_query_prepares_against_the_lab_schema(tmp_path: Path, query: q.Query) -> None:
    """SQLite prepares each rendering (unknown objects, columns or functions would fail)."""
    site = lab_site(tmp_path)
    assert site.lab is not None
    conn = sqlite3.connect(site.lab.database)
    conn.execute("ATTACH DATABASE ? AS INFORMATION_SCHEMA", (str(site.lab.information_schema),))
    for text in renderings(query):
        conn.execute("EXPLAIN " + text, [None] * text.count("?")).fetchall()
    assert len(query.columns) == len(conn.execute(
        renderings(query)[0], [None] * renderings(query)[0].count("?")).description)
    conn.close()


def test_query_count_does_not_grow_with_the_site(tmp_path: Path) -> None:
    """The same number of queries for 300 and for 5,000 clients."""
    counts = []
    for devices in (300, 5000):
        snapshot = collect_snapshot(lab_site(tmp_path, devices=devices), NOW)
        counts.append(snapshot.sources["sql"].queries)
        assert snapshot.facts.registration is not None
        registration = snapshot.facts.registration.value
        assert registration is not None and registration.active_clients == devices
    assert counts[0] == counts[1]


# -- drivers and normalization ------------------------------------------------------------


def test_odbc_and_sqlite3_give_the_same_facts(tmp_path: Path) -> None:
    """Through pyodbc and the SQLite3 ODBC driver the checks see exactly the same facts."""
    plain = collect_snapshot(lab_site(tmp_path, "heartbeat-only", "sqlite3"), NOW)
    odbc = collect_snapshot(lab_site(tmp_path, "heartbeat-only", "odbc"), NOW)
    assert odbc.sources["sql"].state == plain.sources["sql"].state == "ok"
    database_facts = {name for name, fact in plain.facts if fact is not None
                      and fact.source == "sql"}
    assert database_facts >= {"tenants", "registration", "group_mappings"}
    assert odbc.facts.model_dump(include=database_facts) == plain.facts.model_dump(
        include=database_facts)
    tenants = odbc.facts.tenants
    assert tenants is not None and tenants.value is not None
    assert tenants.value[0].tenant_id == TENANT_ID.lower()


def test_snapshot_round_trips_through_json(tmp_path: Path) -> None:
    snapshot = collect_snapshot(lab_site(tmp_path, "legacy-clients"), NOW)
    again = load_snapshot(snapshot.to_json(), "snapshot.json")
    assert again == snapshot
    assert again.collected_at.tzinfo is not None


def test_snapshot_of_another_version_is_refused(tmp_path: Path) -> None:
    text = collect_snapshot(lab_site(tmp_path), NOW).to_json().replace(
        '"schema_version": 1', '"schema_version": 99')
    with pytest.raises(SnapshotFormatError, match="snapshot schema version 99 is not supported"):
        load_snapshot(text, "old.json")
    with pytest.raises(SnapshotFormatError, match=r"^x\.json: not a pytest-cmaad snapshot"):
        load_snapshot('{"site": 1}', "x.json")


@pytest.mark.parametrize(("value", "kind", "expected"), [
    ("{6F1C7E2A-3B4D-4C5E-9F60-718293A4B5C6}", "guid", "6f1c7e2a-3b4d-4c5e-9f60-718293a4b5c6"),
    (uuid.UUID("6f1c7e2a-3b4d-4c5e-9f60-718293a4b5c6"), "guid",
     "6f1c7e2a-3b4d-4c5e-9f60-718293a4b5c6"),
    (datetime(2026, 1, 2, 3, 4, 5), "datetime", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
    (datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))), "datetime",
     datetime(2026, 1, 2, 1, 4, 5, tzinfo=timezone.utc)),
    ("2026-01-02 03:04:05.120", "datetime",
     datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=timezone.utc)),
    (1, "bool", True), (0, "bool", False), ("true", "bool", True), (True, "bool", True),
    (Decimal("12"), "int", 12), ("7", "int", 7), (True, "int", 1),
    ("<x/>".encode("utf-16-le"), "text", "<x/>"), (b"\xef\xbb\xbf<x/>", "text", "<x/>"),
    (None, "guid", None), (None, "datetime", None), (None, "bool", None),
])
def test_normalize(value: object, kind: str, expected: object) -> None:
    assert normalize(value, kind) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "kind"), [
    ("yesterday", "datetime"), (2, "bool"), ("1.5", "int"), (object(), "datetime"),
])
def test_normalize_refuses_odd_shapes(value: object, kind: str) -> None:
    with pytest.raises(ValueShapeError):
        normalize(value, kind)  # type: ignore[arg-type]


def test_normalize_any_for_custom_queries() -> None:
    assert normalize_any("{ABCDEF01-2345-6789-ABCD-EF0123456789}") == (
        "abcdef01-2345-6789-abcd-ef0123456789")
    assert normalize_any(Decimal("3")) == 3 and normalize_any(Decimal("0.5")) == 0.5
    assert normalize_any(datetime(2026, 1, 1)).tzinfo is not None
    assert normalize_any("LAB-WS00001") == "LAB-WS00001"


# -- failures -----------------------------------------------------------------------------


def test_query_timeout_is_an_error(tmp_path: Path) -> None:
    site = lab_site(tmp_path)
    assert site.lab is not None
    db = SqliteDatabase(site.lab.database, query_timeout=0.2)
    slow = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
            "SELECT COUNT(*) FROM n")
    with pytest.raises(DatabaseError, match=r"query timed out after 0\.2 s — raise "
                                            r"sql_query_timeout") as error:
        db.query(slow)
    assert error.value.sqlstate == "HYT00"
    db.close()


def test_missing_driver_says_what_to_install() -> None:
    with pytest.raises(DatabaseError) as error:
        OdbcDatabase("DRIVER={ODBC Driver 99 for SQL Server};SERVER=db;PWD=Sup3r-Secret")
    message = str(error.value)
    assert message.startswith("sql db: [01000]")
    assert "the ODBC driver named in DRIVER= is not installed" in message
    assert "Sup3r-Secret" not in message and "\n" not in message


@pytest.mark.parametrize(("text", "shown"), [
    ("DRIVER={ODBC Driver 18 for SQL Server};SERVER=cm-sql01;DATABASE=CM_PS1;PWD=x",
     "cm-sql01/CM_PS1"),
    ("Driver={SQLite3};Database=/tmp/lab/CM_LAB.db;NoCreat=1", "CM_LAB.db"),
    ("DSN=cmdb;UID=u", "cmdb"),
])
def test_connection_description_has_no_credentials(text: str, shown: str) -> None:
    assert describe_connection_string(text) == shown


def test_unreachable_server_errors_only_database_checks(pytester: pytest.Pytester) -> None:
    """FreeTDS to a closed port: each database check errors with one line, and so do the MP
    checks that take their MP list from the database; the run goes on."""
    pytester.makefile(".toml", cmaad="[sites.PS1]\nsql = 'DRIVER={FreeTDS};SERVER=127.0.0.1;"
                      "PORT=1;DATABASE=CM_PS1;UID=cm;PWD=Sup3r-Secret'\nsql_login_timeout = 3\n")
    report = run_lab(pytester, "--cm-site=PS1", "-rE")
    assert report.ids("error") == DB_CHECKS | MP_CHECKS
    assert report.ids("passed") == set()
    assert "set management_points" in report.case("CMAAD-305").message
    message = report.case("CMAAD-301").message
    assert "cannot be decided: sql 127.0.0.1/CM_PS1: [08S01]" in message
    assert "check SERVER= and the port" in message
    output = report.result.stdout.str()
    assert "Traceback" not in output and "Sup3r-Secret" not in output
    assert "Sup3r-Secret" not in (pytester.path / "junit.xml").read_text()
    report.result.stdout.fnmatch_lines(["ERROR cmaad/*test_cmaad101*PS1*"])


def test_schema_drift_errors_the_checks_that_need_the_missing_objects(tmp_path: Path) -> None:
    """A missing undocumented column or object errors its checks by name; the rest decide."""
    site = lab_site(tmp_path)
    assert site.lab is not None
    with sqlite3.connect(site.lab.database) as conn:
        conn.execute("ALTER TABLE AAD_Application_Ex DROP COLUMN IsClientApp")
        conn.execute("DROP TABLE vSMS_CollectionAADGroupMapping")
    conn.close()
    site.lab.information_schema.unlink()
    with sqlite3.connect(site.lab.database) as main, sqlite3.connect(
            site.lab.information_schema) as target:
        create_information_schema(main, target)
    main.close()
    target.close()
    snapshot = collect_snapshot(site, NOW)
    verdicts = {check: evaluate(check, site.settings, snapshot) for check in sorted(DB_CHECKS)}
    errors = {c for c, v in verdicts.items() if v.outcome == "error"}
    assert errors == {"CMAAD-102", "CMAAD-103", "CMAAD-104", "CMAAD-502", "CMAAD-503"}
    assert "AAD_Application_Ex has no column IsClientApp" in verdicts["CMAAD-102"].message
    assert "no table or view has the columns of SMS_CollectionAADGroupMapping" in (
        verdicts["CMAAD-502"].message)
    assert {v.outcome for c, v in verdicts.items() if c not in errors} == {"passed"}


def test_lab_runs_without_pyodbc(tmp_path: Path) -> None:
    """The plugin, --help and the default lab never import pyodbc."""
    code = (
        "import sys; sys.modules['pyodbc'] = None\n"
        "import pytest\n"
        "rc = pytest.main(['--cm-site=lab', '-q', '-p', 'no:cacheprovider'])\n"
        "assert 'pyodbc' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
        "sys.exit(rc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary


def test_missing_pyodbc_is_a_clear_error(tmp_path: Path) -> None:
    """A profile with sql but no pyodbc: each database check errors saying what to install."""
    (tmp_path / "cmaad.toml").write_text("[sites.PS1]\nsql = 'DRIVER={FreeTDS};SERVER=x'\n")
    code = (
        "import sys; sys.modules['pyodbc'] = None\n"
        "import pytest\n"
        "sys.exit(pytest.main(['--cm-site=PS1', '-q', '-rE', '-p', 'no:cacheprovider']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert "sql: pyodbc is not installed — pip install pyodbc" in result.stdout
    summary = result.stdout.strip().splitlines()[-1]
    assert "passed" not in summary and "failed" not in summary and " errors" in summary
