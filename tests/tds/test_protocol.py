"""The lab TDS server's pieces without a client: result typing, value encodings, errors."""

from __future__ import annotations

import struct
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pytest_cmaad.lab.tds.backend import Faults, Interrupted, ServerError, SqliteBackend
from pytest_cmaad.lab.tds.columns import (
    DATETIME,
    GUID,
    ConversionError,
    datetime2,
    datetimeoffset,
    infer,
    int_type,
    nvarchar,
)
from pytest_cmaad.lab.tds.requests import build_prelogin, parse_prelogin
from pytest_cmaad.lab.tds.typemap import TypeCatalog
from pytest_cmaad.sources.sitedb import queries as q
from pytest_cmaad.sources.sitedb.normalize import Kind

LAB_PARTS = {"active": q.ACTIVE_CLIENT, "trusted": q.TRUSTED_KEY}
LAB_TABLES = {"discovery_settings": "[vSMS_AAD_Discovery_Settings]",
              "sync_settings": "[vSMS_AAD_Sync_Settings]",
              "group_mappings": "[vSMS_CollectionAADGroupMapping]"}
# "str" columns are read with str(), so any type but binary does for them.
TYPE_NAMES: dict[Kind, tuple[str, ...]] = {
    "guid": ("uniqueidentifier",), "datetime": ("datetime", "datetime2"), "bool": ("bit",),
    "int": ("int", "bigint", "smallint", "tinyint"), "text": ("nvarchar",),
    "str": ("nvarchar", "int", "bigint", "smallint", "tinyint", "uniqueidentifier"),
}


class _Markers(dict[str, str]):
    """Placeholders the test does not name are lists of ``?`` markers."""

    def __missing__(self, key: str) -> str:
        return "?, ?"


def render(query: q.Query) -> str:
    parts = _Markers(LAB_PARTS, table=LAB_TABLES.get(query.name, "[Sites]"))
    return query.text.format_map(parts)


@pytest.fixture(scope="module")
def catalog(lab_files: tuple[Path, Path]) -> TypeCatalog:
    database, information_schema = lab_files
    return TypeCatalog.from_sqlite(database, {"INFORMATION_SCHEMA": information_schema})


@pytest.mark.parametrize("query", q.ALL_QUERIES, ids=lambda query: query.name)
def test_every_catalog_query_is_typed_from_the_schema(catalog: TypeCatalog,
                                                      query: q.Query) -> None:
    """Each result column gets the SQL Server type its kind expects, from the declarations."""
    described = catalog.describe(render(query))
    assert described is not None
    assert len(described) == len(query.columns)
    for (name, kind), projection in zip(query.columns, described, strict=True):
        assert projection.sql_type is not None, name
        assert projection.sql_type.name.split("(")[0] in TYPE_NAMES[kind], (
            name, projection.sql_type.name)


def test_expressions_without_alias_are_unnamed(catalog: TypeCatalog) -> None:
    described = catalog.describe("SELECT COUNT(*), MAX(Time) AS LastTime FROM v_StatusMessage")
    assert described is not None
    assert [(p.named, p.sql_type and p.sql_type.name) for p in described] == [
        (False, "int"), (True, "datetime")]


def test_untypable_statements_are_typed_from_their_values(catalog: TypeCatalog) -> None:
    assert catalog.describe("PRAGMA table_info(Sites)") is None
    assert infer([None, 3]) == int_type(4)
    assert infer([2**40]) == int_type(8)
    assert infer(["a", "abcd"]) == nvarchar(4)
    assert infer([None, None]) == int_type(4)


def test_values_are_encoded_as_sql_server_sends_them() -> None:
    moment = datetime(2026, 11, 29, 12, 0, 0, 123456)
    days, ticks = struct.unpack("<iI", DATETIME.encode(moment)[1:])
    assert days == (moment.date() - datetime(1900, 1, 1).date()).days
    assert ticks == round((12 * 3600 * 1000 + 123.456) * 0.3)
    data = datetime2(7).encode("2026-11-29 12:00:00.123")
    assert data[0] == 8 and int.from_bytes(data[1:6], "little") == (12 * 3600 + 0.123) * 10**7
    tenant = "6F1C7E2A-3B4D-4C5E-9F60-718293A4B5C6"
    assert GUID.encode(tenant) == b"\x10" + uuid.UUID(tenant).bytes_le
    offset = datetimeoffset(7).encode(moment.replace(tzinfo=timezone(timedelta(hours=2))))
    assert struct.unpack("<h", offset[-2:]) == (120,)
    assert nvarchar(None).encode(None) == b"\xff" * 8
    with pytest.raises(ConversionError) as error:
        GUID.encode("not a guid")
    assert error.value.number == 8169


def test_prelogin_round_trips() -> None:
    message = build_prelogin([(0, b"\x10\x00\x03\xe8\x00\x00"), (1, b"\x01"), (4, b"\x00")])
    assert parse_prelogin(message) == {0: b"\x10\x00\x03\xe8\x00\x00", 1: b"\x01", 4: b"\x00"}


@pytest.fixture
def backend(lab_files: tuple[Path, Path], catalog: TypeCatalog) -> SqliteBackend:
    database, information_schema = lab_files
    return SqliteBackend(database, {"INFORMATION_SCHEMA": information_schema}, catalog,
                         Faults(denied={"v_StatusMessage"}), "CM_LAB")


def never(_seconds: float) -> bool:
    return False


@pytest.mark.parametrize(("sql", "number", "text"), [
    ("SELECT * FROM NoSuchView", 208, "Invalid object name 'NoSuchView'."),
    ("SELECT NoSuchColumn FROM Sites", 207, "Invalid column name 'NoSuchColumn'."),
    ("SELEC 1", 102, "Incorrect syntax near 'SELEC'."),
    ("SELECT ISNULL(1, 2)", 102, "Incorrect syntax near 'ISNULL'."),
    ("SELECT GETDATE()", 195, "'GETDATE' is not a recognized built-in function name."),
    ("SELECT COUNT(*) FROM v_StatusMessage", 229,
     "The SELECT permission was denied on the object 'v_StatusMessage', database 'CM_LAB', "
     "schema 'dbo'."),
    ("DELETE FROM AAD_Tenant_Ex", 229,
     "The DELETE permission was denied on the object 'AAD_Tenant_Ex', database 'CM_LAB', "
     "schema 'dbo'."),
    ("UPDATE Sites SET Settings = ''", 229, "The UPDATE permission was denied"),
    ("ATTACH DATABASE ':memory:' AS x", 262, "Permission denied in database 'CM_LAB'"),
])
def test_sqlite_errors_become_sql_server_errors(backend: SqliteBackend, sql: str, number: int,
                                                text: str) -> None:
    with pytest.raises(ServerError) as error:
        backend.execute(sql, {}, never)
    assert error.value.number == number
    assert error.value.text.startswith(text)


def test_an_attention_interrupts_a_running_statement(backend: SqliteBackend) -> None:
    calls = []

    def after_a_while(_seconds: float) -> bool:
        calls.append(1)
        return len(calls) > 3

    slow = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
            "WHERE i < 100000000) SELECT COUNT(*) FROM n")
    with pytest.raises(Interrupted):
        backend.execute(slow, {}, after_a_while)
    assert backend.execute("SELECT COUNT(*) AS n FROM AAD_Tenant_Ex", {}, never).rows == [(1,)]
