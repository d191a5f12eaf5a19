"""Result column types from the database's declared SQL Server types.

The standard library's sqlite3 cannot report a column's declared type, so the lab server reads
the declarations once (``PRAGMA table_info`` of every table and view, the lab schema's SQL
Server type names) and types each SELECT's projections with sqlglot, the way SQL Server would:
a column keeps its declared type, ``MAX(Time)`` is a datetime, ``COUNT(*)`` an int.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from .columns import SqlType, from_declared

DEFAULT_SCHEMA = "dbo"
UNKNOWN_TYPE = "sql_variant"


@dataclass(frozen=True)
class Projection:
    """One result column as the schema types it.

    :param sql_type: its SQL Server type, or None when the schema cannot tell.
    :param named: False for an expression without an alias (SQL Server leaves those unnamed).
    """

    sql_type: SqlType | None
    named: bool


def _declared(conn: sqlite3.Connection, schema: str) -> dict[str, dict[str, str]]:
    objects = conn.execute(
        f"SELECT name FROM [{schema}].sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite%' ORDER BY name").fetchall()
    result: dict[str, dict[str, str]] = {}
    for (name,) in objects:
        columns: dict[str, str] = {}
        for _cid, column, declared, *_rest in conn.execute(
                f"PRAGMA [{schema}].table_info([{name}])"):
            columns[column] = _valid_type(declared)
        result[name] = columns
    return result


def _valid_type(declared: str | None) -> str:
    if not declared:
        return UNKNOWN_TYPE
    try:
        exp.DataType.build(declared, dialect="tsql")
    except Exception:  # sqlglot raises several kinds for a name it does not know
        return UNKNOWN_TYPE
    return declared


class TypeCatalog:
    """Declared column types of a database (and its attached schemas), and result typing.

    :param objects: schema name → object name → column name → declared type.
    """

    def __init__(self, objects: dict[str, dict[str, dict[str, str]]]) -> None:
        mapping: dict[str, object] = dict(objects)
        self._schema = MappingSchema(mapping, dialect="tsql")
        self._cache: dict[str, list[Projection] | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_sqlite(cls, database: Path, attach: dict[str, Path]) -> TypeCatalog:
        """Read the declared types of every table and view of ``database`` and ``attach``."""
        conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
        try:
            for schema, path in attach.items():
                conn.execute(f"ATTACH DATABASE ? AS [{schema}]",
                             (f"{path.resolve().as_uri()}?mode=ro",))
            objects = {DEFAULT_SCHEMA: _declared(conn, "main")}
            for schema in attach:
                objects[schema] = _declared(conn, schema)
        finally:
            conn.close()
        return cls(objects)

    def describe(self, sql: str) -> list[Projection] | None:
        """The projections of a SELECT, typed; None when the statement cannot be typed."""
        with self._lock:
            if sql not in self._cache:
                self._cache[sql] = self._describe(sql)
            return self._cache[sql]

    def _describe(self, sql: str) -> list[Projection] | None:
        try:
            tree = sqlglot.parse_one(sql, read="tsql")
            if not isinstance(tree, exp.Query):
                return None
            qualified = qualify(tree, schema=self._schema, dialect="tsql", db=DEFAULT_SCHEMA,
                                validate_qualify_columns=False)
            typed = annotate_types(qualified, schema=self._schema, dialect="tsql")
        except Exception:  # an untypable statement is typed from its values instead
            return None
        projections = []
        for select in typed.selects:
            data_type = select.type
            sql_type = from_declared(data_type) if isinstance(data_type, exp.DataType) else None
            unnamed = isinstance(select, exp.Alias) and select.alias.startswith("_col_")
            projections.append(Projection(sql_type, not unnamed))
        return projections
