"""The lab server's record of a whole run: only reads, read-only intent, no transactions.
Negative controls show the record would catch a transaction or a write."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tds_support import NOW

from pytest_cmaad.config import resolve_site
from pytest_cmaad.lab import LabSite
from pytest_cmaad.lab.tds.endpoint import LabTdsEndpoint
from pytest_cmaad.sites import Site, collect_snapshot
from pytest_cmaad.sources.sitedb.database import import_pyodbc
from pytest_cmaad.sources.sitedb.guard import ensure_read_only

# What Driver 18 calls on its own besides the plugin's statements.
DRIVER_PROCEDURES = {"sp_datatype_info_100", "sp_unprepare"}


def test_a_whole_collection_sends_only_reads(tds_lab: Callable[[str], LabSite]) -> None:
    lab = tds_lab("healthy")
    assert lab.sql_endpoint is not None
    settings = resolve_site("lab", None, {}, {}, lab.profile())
    snapshot = collect_snapshot(Site(settings, lab), NOW)
    record = lab.sql_endpoint.server.record
    (connection,) = record.connections
    assert connection.encryption == "on" and connection.tls_version == "TLSv1.2"
    login = connection.login
    assert login is not None and login.accepted
    assert login.read_only_intent
    assert login.user == "cmaad_reader" and login.database == "CM_LAB"
    kinds = {r.kind for r in connection.requests}
    assert kinds <= {"batch", "rpc"}, kinds
    statements = [r for r in connection.requests if r.sql is not None]
    assert len(statements) == snapshot.sources["sql"].queries
    for request in statements:
        ensure_read_only(request.sql or "")
        assert request.outcome.startswith("rows "), request
        assert request.procedure in (None, "sp_prepexec")
    others = {r.procedure for r in connection.requests if r.sql is None}
    assert others <= DRIVER_PROCEDURES, others


def test_the_record_catches_transactions_and_writes(
        endpoint: LabTdsEndpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative control: pyodbc's default (autocommit off, no read-only intent) shows up as
    transaction requests, and a write is refused and recorded."""
    pyodbc = import_pyodbc()
    monkeypatch.setenv("SSL_CERT_FILE", endpoint.client_environment["SSL_CERT_FILE"])
    conn = pyodbc.connect(endpoint.connection_string(), timeout=5)
    try:
        cursor = conn.cursor()
        with pytest.raises(pyodbc.Error, match="The DELETE permission was denied on the object "
                                               "'AAD_Tenant_Ex'"):
            cursor.execute("DELETE FROM AAD_Tenant_Ex")
        conn.rollback()
        assert cursor.execute("SELECT COUNT(*) FROM AAD_Tenant_Ex").fetchone()[0] == 1
    finally:
        conn.close()
    (connection,) = endpoint.server.record.connections
    assert connection.login is not None and not connection.login.read_only_intent
    transactions = [r.procedure for r in connection.requests if r.kind == "transaction"]
    assert transactions[:2] == ["begin", "rollback"]
    assert [r.outcome for r in connection.requests if r.sql == "DELETE FROM AAD_Tenant_Ex"] == [
        "error 229"]
