"""A TDS (SQL Server protocol) server for the lab: the site database over the wire, so the
plugin's database source runs through pyodbc and Microsoft's ODBC Driver 18 end to end.
"""

from __future__ import annotations

from .backend import Faults
from .record import ConnectionRecord, LoginRecord, RequestRecord, ServerRecord
from .server import TdsServer, TlsFiles

__all__ = ["ConnectionRecord", "Faults", "LoginRecord", "RequestRecord", "ServerRecord",
           "TdsServer", "TlsFiles"]
