"""The lab's SMS Provider AdminService: WMI classes over HTTPS, from the lab database.

``GET /AdminService/wmi/<Class>`` answers OData JSON (``value`` plus ``@odata.nextLink`` pages)
built from the same scenario database the site database source reads, so both sources see the
same site. The lab's reader account signs in with Windows authentication (a real NTLM
handshake, checked by pyspnego as the acceptor) or with basic; every request is recorded.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sqlite3
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .mp import POLL_SECONDS, RequestLog
from .pki import LabCA

PAGE_SIZE = 2
USER = r"LAB\cmaad-reader"
# One password for every lab AdminService of the process: lab sites share the environment.
PASSWORD = secrets.token_urlsafe(18)

Row = dict[str, Any]

_CLASSES: dict[str, str] = {
    "SMS_AAD_Tenant_Ex": "SELECT ID, TenantID, Name, Environment, SiteCode FROM AAD_Tenant_Ex "
                         "ORDER BY ID",
    "SMS_AAD_Application_Ex": "SELECT ID, TenantDB_ID AS TenantID, ClientID, Name, IsClientApp, "
                              "SecretKeyExpiry, LastUpdateTime, IdentifierUri "
                              "FROM AAD_Application_Ex ORDER BY ID",
    "SMS_AAD_Discovery_Settings": "SELECT ID, AgentType, CloudServiceId, DeltaSyncEnabled, "
                                  "DeltaSyncInterval, FullSyncEnabled, LastDeltaSyncTime, "
                                  "LastFullSyncTime, SiteCode FROM vSMS_AAD_Discovery_Settings",
    "SMS_AAD_Sync_Settings": "SELECT ID, CloudServiceId, DeltaSyncEnabled, DeltaSyncInterval, "
                             "FullSyncEnabled, LastDeltaSyncTime, LastFullSyncTime, WaterMark "
                             "FROM vSMS_AAD_Sync_Settings",
    "SMS_CollectionAADGroupMapping": "SELECT CollectionSiteID, AADGroupID, AADGroupName, "
                                     "CloudServiceID, Flag, LastSyncStatus, LastSyncTime "
                                     "FROM vSMS_CollectionAADGroupMapping "
                                     "ORDER BY CollectionSiteID",
    "SMS_Collection": "SELECT c.CollectionID, c.Name, c.CollectionType, "
                      "(SELECT COUNT(*) FROM v_FullCollectionMembership f "
                      "WHERE f.CollectionID = c.CollectionID) AS MemberCount "
                      "FROM v_Collection c ORDER BY c.CollectionID",
}
_BOOLEANS = {"IsClientApp", "DeltaSyncEnabled", "FullSyncEnabled"}
_TIMES = {"SecretKeyExpiry", "LastUpdateTime", "LastDeltaSyncTime", "LastFullSyncTime",
          "LastSyncTime"}


def _odata_value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in _BOOLEANS:
        return bool(value)
    if column in _TIMES:
        return str(value).replace(" ", "T") + "Z"
    return value


class _Handler(BaseHTTPRequestHandler):
    server: _AdminServer
    protocol_version = "HTTP/1.1"
    _ntlm: Any = None
    _ntlm_done = False

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: the request log is the record."""

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; odata.metadata=minimal")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _challenge(self, header: str | None = None) -> None:
        self.send_response(401)
        if header is not None:
            self.send_header("WWW-Authenticate", header)
        else:
            self.send_header("WWW-Authenticate", "NTLM")
            self.send_header("WWW-Authenticate", 'Basic realm="AdminService"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _signed_in(self) -> bool:
        """Basic with the lab account, or an NTLM handshake over this connection."""
        if self._ntlm_done:
            return True
        given = self.headers.get("Authorization") or ""
        if given == self.server.expected_auth:
            return True
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "ntlm" or not token:
            self._challenge()
            return False
        import spnego
        from spnego.exceptions import SpnegoError

        if self._ntlm is None:
            self._ntlm = spnego.server(protocol="ntlm")
        try:
            answer = self._ntlm.step(base64.b64decode(token))
        except (SpnegoError, ValueError):
            self._ntlm = None
            self._challenge()
            return False
        if not self._ntlm.complete:
            self._challenge("NTLM " + base64.b64encode(answer or b"").decode())
            return False
        self._ntlm_done = True
        return True

    def do_GET(self) -> None:
        """Answer a WMI class query, one page at a time."""
        self.server.log.add("GET", "adminservice", self.path)
        if not self._signed_in():
            return
        parts = urlsplit(self.path)
        prefix = "/adminservice/wmi/"
        if not parts.path.lower().startswith(prefix):
            return self._json(404, {"error": {"code": "NotFound", "message": "No route"}})
        name = parts.path[len(prefix):]
        rows = self.server.rows(name)
        if rows is None:
            return self._json(404, {"error": {"code": "NotFound",
                                              "message": f"Invalid class {name}"}})
        skip = int(parse_qs(parts.query).get("$skip", ["0"])[0])
        page = rows[skip:skip + PAGE_SIZE]
        base = f"https://{self.headers.get('Host')}{parts.path}"
        body: dict[str, Any] = {"@odata.context": f"{base}/$metadata", "value": page}
        if skip + PAGE_SIZE < len(rows):
            body["@odata.nextLink"] = f"{base}?$skip={skip + PAGE_SIZE}"
        self._json(200, body)

    def _refuse(self) -> None:
        self.server.log.add(self.command, "adminservice", self.path)
        self._json(405, {"error": {"code": "MethodNotAllowed", "message": "read only"}})

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse


class _AdminServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, database: Path, log: RequestLog, expected_auth: str,
                 context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.database, self.log, self.expected_auth = database, log, expected_auth
        self.socket = context.wrap_socket(self.socket, server_side=True)

    def rows(self, name: str) -> list[Row] | None:
        sql = next((q for cls, q in _CLASSES.items() if cls.lower() == name.lower()), None)
        if sql is None:
            return None
        with sqlite3.connect(f"{self.database.resolve().as_uri()}?mode=ro", uri=True) as conn:
            cursor = conn.execute(sql)
            names = [d[0] for d in cursor.description]
            rows = [{n: _odata_value(n, v) for n, v in zip(names, row, strict=True)}
                    for row in cursor.fetchall()]
        conn.close()
        return rows


class LabAdminService:
    """A running lab AdminService and the credentials that open it."""

    def __init__(self, database: Path, ca: LabCA, host: str, log: RequestLog) -> None:
        self.host = host
        self.password = PASSWORD
        token = base64.b64encode(f"{USER}:{self.password}".encode()).decode()
        users = ca.folder / "ntlm-users"
        users.write_text(f"{USER.replace(chr(92), ':')}:{self.password}\n")
        # pyspnego's NTLM acceptor reads its accounts from the file this variable names.
        os.environ["NTLM_USER_FILE"] = str(users)
        cert = ca.issue((host,), stem="adminservice")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert_path, cert.key_path)
        self._server = _AdminServer(database, log, f"Basic {token}", context)
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,),
                         name="lab-adminservice", daemon=True).start()

    @property
    def url(self) -> str:
        """The AdminService base URL a profile names."""
        return f"https://{self.host}:{self.port}/AdminService"

    def close(self) -> None:
        """Stop the server."""
        self._server.shutdown()
        self._server.server_close()

