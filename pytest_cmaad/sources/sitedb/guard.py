"""Read-only by construction: only a single SELECT (or WITH ... SELECT) reaches a driver."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

_WRITES = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.Into,
    exp.TruncateTable,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Set,
    exp.Use,
)


class NotReadOnly(ValueError):
    """A statement that is not a single read."""


def ensure_read_only(sql: str) -> None:
    """Refuse anything but one SELECT statement, parsed as T-SQL.

    :raises NotReadOnly: naming what was found instead.
    """
    try:
        statements = [s for s in sqlglot.parse(sql, read="tsql") if s is not None]
    except SqlglotError as exc:
        first = str(exc).splitlines()[0]
        raise NotReadOnly(f"refused: the statement does not parse as T-SQL ({first})") from None
    if len(statements) != 1:
        raise NotReadOnly(f"refused: {len(statements)} statements; only a single SELECT is run")
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        raise NotReadOnly(f"refused: {statement.key.upper()} is not a SELECT")
    for node in statement.walk():
        if isinstance(node, _WRITES):
            raise NotReadOnly(f"refused: the SELECT contains {node.key.upper()}")
