"""The plugin's database source as production code: read-only intent, one-line errors,
reconnecting once after a dropped connection, and the lab's ``--cm-lab-sql=tds``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import run_lab
from tds_support import Connect

from pytest_cmaad.lab.tds.endpoint import LabTdsEndpoint
from pytest_cmaad.sources.sitedb.database import (
    DatabaseError,
    OdbcDatabase,
    _odbc_error_parts,
    with_read_only_intent,
)

DRIVER18 = "DRIVER={ODBC Driver 18 for SQL Server};SERVER=cm-sql01;DATABASE=CM_PS1"


@pytest.mark.parametrize(("text", "expected"), [
    (DRIVER18, DRIVER18 + ";ApplicationIntent=ReadOnly"),
    (DRIVER18 + ";", DRIVER18 + ";ApplicationIntent=ReadOnly"),
    (DRIVER18 + ";ApplicationIntent=ReadWrite", DRIVER18 + ";ApplicationIntent=ReadWrite"),
    ("Driver={SQL Server Native Client 11.0};Server=x", "Driver={SQL Server Native Client "
                                                        "11.0};Server=x;ApplicationIntent=ReadOnly"),
    ("DRIVER={FreeTDS};SERVER=x", "DRIVER={FreeTDS};SERVER=x"),
    ("DRIVER={SQLite3};Database=x.db", "DRIVER={SQLite3};Database=x.db"),
])
def test_read_only_intent_is_added_for_microsofts_drivers(text: str, expected: str) -> None:
    assert with_read_only_intent(text) == expected


@pytest.mark.parametrize(("args", "expected"), [
    (("HYT00", "[HYT00] [Microsoft][ODBC Driver 18 for SQL Server]Query timeout expired (0) "
               "(SQLExecDirectW)"), ("HYT00", "Query timeout expired")),
    (("08001", "[08001] [Microsoft][ODBC Driver 18 for SQL Server]SSL Provider: [error:0A000086"
               ":SSL routines::certificate verify failed] (-1) (SQLDriverConnect)"),
     ("08001", "SSL Provider: [error:0A000086:SSL routines::certificate verify failed]")),
    (("ODBC SQL type -150 is not yet supported.  column-index=0  type=-150", "HY106"),
     ("HY106", "ODBC SQL type -150 is not yet supported. column-index=0 type=-150")),
])
def test_driver_messages_become_one_clean_line(args: tuple[str, str],
                                               expected: tuple[str, str]) -> None:
    assert _odbc_error_parts(Exception(*args)) == expected


def test_a_dropped_connection_is_replaced_once(connect: Connect,
                                               endpoint: LabTdsEndpoint) -> None:
    db = connect()
    endpoint.faults.dropped.add("Sites")
    with pytest.raises(DatabaseError, match=r"\[08S01\]"):
        db.query("SELECT SiteCode FROM Sites")
    endpoint.faults.dropped.clear()
    assert db.query("SELECT COUNT(*) FROM Sites") == [(2,)]
    assert db.reconnects == 1


def test_when_the_new_connection_fails_too_later_queries_fail_at_once(
        endpoint: LabTdsEndpoint) -> None:
    db = OdbcDatabase(endpoint.connection_string(), login_timeout=1, query_timeout=5,
                      environment=endpoint.client_environment)
    endpoint.faults.dropped.add("Sites")
    with pytest.raises(DatabaseError, match=r"\[08S01\]"):
        db.query("SELECT SiteCode FROM Sites")
    endpoint.stop()
    with pytest.raises(DatabaseError, match=r"\[(HYT00|08001)\].* — check SERVER="):
        db.query("SELECT COUNT(*) FROM Sites")
    started = time.monotonic()
    with pytest.raises(DatabaseError, match=r"— check SERVER="):
        db.query("SELECT COUNT(*) FROM Sites")
    assert time.monotonic() - started < 0.5
    db.close()


def test_the_lab_hands_out_a_production_shaped_connection_string(
        driver18: None, pytester: pytest.Pytester) -> None:
    """``--cm-lab-sql=tds``: Driver 18, SERVER=127.0.0.1,PORT, Encrypt=yes; no password shown."""
    report = run_lab(pytester, "--cm-site=lab", "--cm-lab-sql=tds", "-v")
    assert report.result.ret == 0, report.result.stdout.str()
    report.result.stdout.re_match_lines([
        r"\s+sql = DRIVER=\{ODBC Driver 18 for SQL Server\};SERVER=127\.0\.0\.1,\d+;"
        r"DATABASE=CM_LAB;UID=cmaad_reader;PWD=\*\*\*;Encrypt=yes \(lab\)"])


def test_tds_mode_without_the_driver_is_a_usage_error(tmp_path: Path) -> None:
    """One line saying what to install, before anything runs."""
    code = ("import sys; sys.modules['mssql_python_odbc'] = None\n"
            "import pytest\n"
            "sys.exit(pytest.main(['--cm-site=lab', '--cm-lab-sql=tds', '-p', "
            "'no:cacheprovider']))\n")
    environment = dict(os.environ, ODBCSYSINI=str(tmp_path))  # no driver registered there
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env=environment)
    assert result.returncode == 4, result.stdout + result.stderr
    assert ("ERROR: the lab's TDS mode needs Microsoft ODBC Driver 18 for SQL Server: pip "
            "install 'mssql-python-odbc==18.6.2.2'") in result.stderr
    assert "Traceback" not in result.stderr
