"""The lab's Entra ID: an identity provider and a Microsoft Graph on HTTPS.

The identity provider answers OIDC discovery and issues app-only tokens to the reader app
after checking its client secret, or its client assertion's signature against the reader's
certificate (PyJWT). Graph serves the resources the Graph source reads, with ``$top`` paging
and ``@odata.nextLink``, ``$batch`` of GETs, and a throttling knob that answers a share of
requests (inner batch requests included) with 429 and ``Retry-After``. Every request is
recorded in the lab's request log, and every inner request of a batch too.
"""

from __future__ import annotations

import base64
import json
import random
import re
import secrets
import sqlite3
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .mp import POLL_SECONDS, RequestLog
from .pki import IssuedCert, LabCA

LOGIN_HOST = "login.lab.contoso.test"
GRAPH_HOST = "graph.lab.contoso.test"
READER_APP_ID = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
MAX_TOP = 999
DEFAULT_TOP = 100
# Graph application permissions (app role ids as Microsoft Graph publishes them).
APP_ROLES = {
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Group.Read.All": "5b567255-7703-4780-807c-7be8301ae99b",
    "GroupMember.ReadWrite.All": "dbaae8cf-10b5-4b86-a4a1-f871c94c6695",
    "Device.Read.All": "7438b122-aefc-4978-80ed-43db9fcc7715",
    "Device.ReadWrite.All": "1138cb37-bd11-4084-a2b7-9f71582aeddb",
    "AuditLog.Read.All": "b0afded3-3588-46d8-8b3d-9842eff778da",
}
GRAPH_SP_ID = "9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"

Json = dict[str, Any]
# One reader secret per process: several lab sites in one run share the environment.
READER_SECRET = secrets.token_urlsafe(24)


def object_id(seed: str) -> str:
    """A stable directory object id for a lab object."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"lab:{seed}"))


@dataclass
class LabGroup:
    """One group: its kind, owner object ids and member objects (devices and users)."""

    id: str
    name: str
    security_enabled: bool = True
    dynamic: bool = False
    owners: list[Json] = field(default_factory=list)
    members: list[Json] = field(default_factory=list)


@dataclass
class LabDirectory:
    """What the lab's tenant holds.

    :param devices: Entra device objects by deviceId (lower case).
    :param service_principals: by appId: the principal's JSON.
    :param app_roles: by service principal id: granted Graph permission names.
    :param secret_expiries: by appId of an application: its secrets' end times.
    :param audit: directory audit entries as Graph returns them.
    """

    tenant_id: str
    groups: dict[str, LabGroup] = field(default_factory=dict)
    devices: dict[str, Json] = field(default_factory=dict)
    service_principals: dict[str, Json] = field(default_factory=dict)
    app_roles: dict[str, list[str]] = field(default_factory=dict)
    secret_expiries: dict[str, list[datetime]] = field(default_factory=dict)
    audit: list[Json] = field(default_factory=list)

    def device(self, device_id: str, name: str) -> Json:
        """Add (or return) an Entra device for ``device_id``."""
        key = device_id.lower()
        if key not in self.devices:
            self.devices[key] = {"@odata.type": "#microsoft.graph.device",
                                 "id": object_id(f"device:{key}"), "deviceId": key,
                                 "displayName": name}
        return self.devices[key]

    def service_principal(self, app_id: str, name: str, roles: list[str]) -> Json:
        """Add a service principal for ``app_id`` with granted Graph permissions."""
        sp = {"@odata.type": "#microsoft.graph.servicePrincipal",
              "id": object_id(f"sp:{app_id.lower()}"), "appId": app_id.lower(),
              "displayName": name}
        self.service_principals[app_id.lower()] = sp
        self.app_roles[sp["id"]] = roles
        return sp


@dataclass
class Knobs:
    """How the lab misbehaves: throttled share, Retry-After, latency, the reader's secret."""

    throttle_share: float = 0.0
    retry_after: str = "0.02"
    latency: float = 0.0
    reader_secret: str = "valid"


class _Handler(BaseHTTPRequestHandler):
    server: _EntraServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: the request log is the record."""

    def _send(self, status: int, body: Json, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _host(self) -> str:
        return (self.headers.get("Host") or "").split(":")[0].lower()

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        """Discovery on the login host, resources on the Graph host."""
        server = self.server
        host = self._host()
        server.log.add("GET", host, self.path)
        if server.knobs.latency:
            time.sleep(server.knobs.latency)
        if host == LOGIN_HOST and self.path.startswith("/msi/token"):
            return self._send(*server.managed_identity(
                self.path, self.headers.get("X-IDENTITY-HEADER", "")))
        if host == LOGIN_HOST:
            return self._send(*server.discovery(self.path))
        if self.headers.get("Authorization", "") not in server.bearers:
            return self._send(401, _error("InvalidAuthenticationToken",
                                          "Access token is empty or invalid."))
        if server.throttled():
            return self._send(429, _error("TooManyRequests", "Too many requests."),
                              {"Retry-After": server.knobs.retry_after})
        status, body = server.graph_get(self.path)
        self._send(status, body)

    def do_POST(self) -> None:
        """The token endpoint, and Graph's ``$batch`` (of GETs only)."""
        server = self.server
        host = self._host()
        server.log.add("POST", host, self.path)
        if server.knobs.latency:
            time.sleep(server.knobs.latency)
        body = self._body()
        if host == LOGIN_HOST and self.path.endswith("/oauth2/v2.0/devicecode"):
            return self._send(*server.device_code(self.path))
        if host == LOGIN_HOST:
            return self._send(*server.token(self.path, body.decode()))
        if self.headers.get("Authorization", "") not in server.bearers:
            return self._send(401, _error("InvalidAuthenticationToken", "Invalid token."))
        if urlsplit(self.path).path != "/v1.0/$batch":
            return self._send(405, _error("Request_BadRequest", "read-only lab"))
        self._send(*server.batch(body))

    def _refuse(self) -> None:
        self.server.log.add(self.command, self._host(), self.path)
        self._send(405, _error("Request_BadRequest", "read-only lab"))

    do_PUT = do_DELETE = do_PATCH = _refuse


def _unsigned_jwt(claims: Json) -> str:
    def part(data: Json) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _error(code: str, message: str) -> Json:
    return {"error": {"code": code, "message": message}}


def _aadsts(status: int, error: str, code: int, text: str) -> tuple[int, Json]:
    return status, {"error": error, "error_description": f"AADSTS{code}: {text} Trace ID: "
                    f"{uuid.uuid4()} Timestamp: 2026-01-01 00:00:00Z", "error_codes": [code]}


_ALT_KEY = re.compile(r"^(devices|servicePrincipals|applications)\((deviceId|appId)='([^']+)'\)"
                      r"(/appRoleAssignments)?$")


class _EntraServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, directory: LabDirectory, log: RequestLog, knobs: Knobs,
                 secret: str, reader_cert: IssuedCert, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.directory, self.log, self.knobs = directory, log, knobs
        self.secret, self.reader_cert = secret, reader_cert
        self.identity_header = secrets.token_urlsafe(16)
        self.device_codes: set[str] = set()
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.bearers: set[str] = set()
        self.lock = threading.Lock()
        self.rng = random.Random(4242)
        self.port = int(self.server_address[1])

    def throttled(self) -> bool:
        with self.lock:
            return self.rng.random() < self.knobs.throttle_share

    # -- identity provider ------------------------------------------------------------

    def _tenant_ok(self, path: str) -> bool:
        return path.strip("/").split("/")[0].lower() == self.directory.tenant_id.lower()

    def discovery(self, path: str) -> tuple[int, Json]:
        tenant = path.strip("/").split("/")[0]
        if not path.endswith("/v2.0/.well-known/openid-configuration"):
            return 404, _error("NotFound", "no such endpoint")
        if not self._tenant_ok(path):
            return _aadsts(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"https://{LOGIN_HOST}:{self.port}/{tenant}"
        return 200, {"issuer": f"{base}/v2.0",
                     "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                     "token_endpoint": f"{base}/oauth2/v2.0/token",
                     "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                     "jwks_uri": f"{base}/discovery/v2.0/keys",
                     "response_types_supported": ["code", "id_token", "token"],
                     "subject_types_supported": ["pairwise"],
                     "id_token_signing_alg_values_supported": ["RS256"]}

    def token(self, path: str, body: str) -> tuple[int, Json]:
        form = {k: v[0] for k, v in parse_qs(body).items()}
        path = urlsplit(path).path
        if not path.endswith("/oauth2/v2.0/token"):
            return 404, _error("NotFound", "no such endpoint")
        if not self._tenant_ok(path):
            return _aadsts(400, "invalid_tenant", 90002, "Tenant not found.")
        if form.get("client_id", "").lower() != READER_APP_ID:
            return _aadsts(400, "unauthorized_client", 700016,
                           "Application was not found in the directory.")
        if form.get("grant_type") == DEVICE_GRANT:
            return self._device_token(form)
        if form.get("grant_type") != "client_credentials":
            return _aadsts(400, "unsupported_grant_type", 70003, "Unsupported grant type.")
        audience = f"https://{LOGIN_HOST}:{self.port}{path}"
        if "client_assertion" in form:
            if not self._assertion_ok(form["client_assertion"], audience):
                return _aadsts(401, "invalid_client", 700027,
                               "Client assertion failed signature validation.")
        elif self.knobs.reader_secret == "expired":
            return _aadsts(401, "invalid_client", 7000222,
                           "The provided client secret keys for app are expired.")
        elif not secrets.compare_digest(form.get("client_secret", ""), self.secret):
            return _aadsts(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if form.get("scope") != f"https://{GRAPH_HOST}:{self.port}/.default":
            return _aadsts(400, "invalid_scope", 1002012, "The provided scope is invalid.")
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.bearers.add(f"Bearer {token}")
        return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                     "access_token": token}

    def device_code(self, path: str) -> tuple[int, Json]:
        """Start a device code sign-in; the lab's engineer approves it at once."""
        if not self._tenant_ok(path):
            return _aadsts(400, "invalid_tenant", 90002, "Tenant not found.")
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.device_codes.add(code)
        return 200, {"device_code": code, "user_code": "LABCODE1", "expires_in": 900,
                     "interval": 1, "verification_uri": "https://microsoft.com/devicelogin",
                     "message": "To sign in to the lab, nothing to do: the lab approves "
                                "code LABCODE1 itself."}

    def _device_token(self, form: dict[str, str]) -> tuple[int, Json]:
        with self.lock:
            known = form.get("device_code", "") in self.device_codes
        if not known:
            return _aadsts(400, "invalid_grant", 70000, "The device code is unknown.")
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.bearers.add(f"Bearer {token}")
        user, tenant = object_id("user:engineer"), self.directory.tenant_id
        info = base64.urlsafe_b64encode(json.dumps({"uid": user, "utid": tenant}).encode())
        claims = {"iss": f"https://{LOGIN_HOST}:{self.port}/{tenant}/v2.0", "aud": READER_APP_ID,
                  "oid": user, "tid": tenant, "sub": user,
                  "preferred_username": "engineer@lab.contoso.test",
                  "iat": int(time.time()), "exp": int(time.time()) + 3600}
        return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token,
                     "scope": f"https://{GRAPH_HOST}:{self.port}/.default",
                     "refresh_token": secrets.token_urlsafe(24),
                     "id_token": _unsigned_jwt(claims),
                     "client_info": info.decode().rstrip("=")}

    def managed_identity(self, path: str, header: str) -> tuple[int, Json]:
        """The App Service managed identity endpoint (``IDENTITY_ENDPOINT``), for the reader
        app as a user-assigned identity."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        if not secrets.compare_digest(header, self.identity_header):
            return 401, {"statusCode": 401, "message": "X-IDENTITY-HEADER is wrong"}
        if query.get("client_id", "").lower() != READER_APP_ID:
            return 400, {"statusCode": 400, "message": "No managed identity with that client id"}
        if query.get("resource") != f"https://{GRAPH_HOST}:{self.port}":
            return 500, {"statusCode": 500, "message": "The resource is unknown"}
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.bearers.add(f"Bearer {token}")
        return 200, {"access_token": token, "expires_on": str(int(time.time()) + 3600),
                     "resource": query["resource"], "token_type": "Bearer"}

    def _assertion_ok(self, assertion: str, audience: str) -> bool:
        import jwt

        key = self.reader_cert.certificate.public_key()
        try:
            claims = jwt.decode(assertion, key, algorithms=["RS256", "PS256"],  # type: ignore[arg-type]
                                audience=audience)
        except jwt.PyJWTError:
            return False
        return str(claims.get("iss", "")).lower() == READER_APP_ID

    # -- Graph --------------------------------------------------------------------------

    def batch(self, raw: bytes) -> tuple[int, Json]:
        try:
            requests = json.loads(raw)["requests"]
        except (ValueError, KeyError, TypeError):
            return 400, _error("BadRequest", "Invalid batch payload.")
        if len(requests) > 20:
            return 400, _error("BadRequest", "Too many requests in the batch (limit 20).")
        answers = []
        for inner in requests:
            method, url = str(inner.get("method", "")).upper(), str(inner.get("url", ""))
            self.log.add(method, f"{GRAPH_HOST} $batch", url)
            if method != "GET":
                status, body, headers = 405, _error("Request_BadRequest", "read-only lab"), {}
            elif self.throttled():
                status, body = 429, _error("TooManyRequests", "Too many requests.")
                headers = {"Retry-After": self.knobs.retry_after}
            else:
                status, body = self.graph_get("/v1.0" + url)
                headers = {}
            answers.append({"id": inner.get("id"), "status": status, "headers": headers,
                            "body": body})
        return 200, {"responses": answers}

    def graph_get(self, raw: str) -> tuple[int, Json]:
        parts = urlsplit(raw)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = unquote(parts.path)
        if not path.startswith("/v1.0/"):
            return 404, _error("Request_ResourceNotFound", "unknown version")
        segments = path[len("/v1.0/"):].strip("/")
        d = self.directory
        if (m := _ALT_KEY.match(segments)) is not None:
            return self._alternate(m.group(1), m.group(3).lower(), bool(m.group(4)), query, raw)
        names = segments.split("/")
        if names[0] == "groups" and len(names) >= 2:
            group = d.groups.get(names[1].lower())
            if group is None:
                return 404, _error("Request_ResourceNotFound",
                                   f"Resource '{names[1]}' does not exist.")
            if len(names) == 2:
                return 200, _select({"id": group.id, "displayName": group.name,
                                     "securityEnabled": group.security_enabled,
                                     "mailEnabled": False,
                                     "groupTypes": ["DynamicMembership"] if group.dynamic
                                     else []}, query)
            if names[2] in ("owners", "members"):
                items = group.owners if names[2] == "owners" else group.members
                return self._page(items, query, raw)
        if segments == "auditLogs/directoryAudits":
            return self._page(self._audit(query.get("$filter", "")), query, raw)
        return 404, _error("Request_ResourceNotFound", f"No route for {segments}")

    def _alternate(self, kind: str, key: str, assignments: bool, query: dict[str, str],
                   raw: str) -> tuple[int, Json]:
        d = self.directory
        found: Json | None
        if kind == "devices":
            found = d.devices.get(key)
        elif kind == "servicePrincipals":
            found = d.service_principals.get(key)
            if key == GRAPH_APP_ID:
                found = {"id": GRAPH_SP_ID, "appId": GRAPH_APP_ID,
                         "appRoles": [{"id": rid, "value": name}
                                      for name, rid in APP_ROLES.items()]}
            if found is not None and assignments:
                roles = d.app_roles.get(found["id"], [])
                return self._page([{"appRoleId": APP_ROLES[r], "resourceId": GRAPH_SP_ID,
                                    "principalId": found["id"]} for r in roles], query, raw)
        else:
            expiries = d.secret_expiries.get(key)
            found = None if expiries is None else {
                "id": object_id(f"app:{key}"), "appId": key,
                "passwordCredentials": [
                    {"keyId": object_id(f"secret:{key}:{n}"),
                     "endDateTime": e.strftime("%Y-%m-%dT%H:%M:%SZ")}
                    for n, e in enumerate(expiries)]}
        if found is None:
            return 404, _error("Request_ResourceNotFound", f"Resource '{key}' does not exist.")
        return 200, _select(found, query)

    def _audit(self, filter_: str) -> list[Json]:
        since = re.search(r"activityDateTime ge (\S+)", filter_)
        app = re.search(r"initiatedBy/app/appId eq '([^']+)'", filter_)
        result = []
        for entry in self.directory.audit:
            if app and entry["initiatedBy"]["app"]["appId"] != app.group(1).lower():
                continue
            if since and entry["activityDateTime"] < since.group(1):
                continue
            result.append(entry)
        return sorted(result, key=lambda e: str(e["activityDateTime"]), reverse=True)

    def _page(self, items: list[Json], query: dict[str, str], raw: str) -> tuple[int, Json]:
        top = min(int(query.get("$top", DEFAULT_TOP)), MAX_TOP)
        skip = int(query.get("$skiptoken", "0"))
        body: Json = {"value": [_select(i, query) for i in items[skip:skip + top]]}
        if skip + top < len(items):
            parts = urlsplit(raw)
            rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "$skiptoken")
            body["@odata.nextLink"] = (f"https://{GRAPH_HOST}:{self.port}{parts.path}?"
                                       f"{rest}&$skiptoken={skip + top}")
        return 200, body


def _select(item: Json, query: dict[str, str]) -> Json:
    fields = query.get("$select")
    if not fields:
        return item
    wanted = set(fields.split(",")) | {"@odata.type"}
    return {k: v for k, v in item.items() if k in wanted}


class LabEntra:
    """The running identity provider and Graph, and what a profile needs to use them."""

    def __init__(self, directory: LabDirectory, ca: LabCA, log: RequestLog,
                 knobs: Knobs | None = None) -> None:
        self.knobs = knobs or Knobs()
        self.secret = READER_SECRET
        cert = ca.issue((LOGIN_HOST, GRAPH_HOST), stem="entra")
        self.reader_cert = app_certificate(ca.folder, "cmaad-reader")
        self.reader_pem = self.reader_cert.chain_path
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert_path, cert.key_path)
        self.log = log
        self.server = _EntraServer(directory, log, self.knobs, self.secret, self.reader_cert,
                                   context)
        self.port = self.server.port
        threading.Thread(target=self.server.serve_forever, args=(POLL_SECONDS,),
                         name="lab-entra", daemon=True).start()

    @property
    def managed_identity_environment(self) -> dict[str, str]:
        """What App Service sets for a managed identity, pointing at the lab."""
        return {"IDENTITY_ENDPOINT": f"https://{LOGIN_HOST}:{self.port}/msi/token",
                "IDENTITY_HEADER": self.server.identity_header}

    @property
    def authority(self) -> str:
        """The authority URL with the tenant."""
        return f"https://{LOGIN_HOST}:{self.port}/{self.server.directory.tenant_id.lower()}"

    @property
    def graph_url(self) -> str:
        """Graph's base URL (without the version)."""
        return f"https://{GRAPH_HOST}:{self.port}"

    @property
    def addresses(self) -> dict[str, str]:
        """The lab host names to pin to loopback."""
        return {LOGIN_HOST: "127.0.0.1", GRAPH_HOST: "127.0.0.1"}

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


def app_certificate(folder: Path, name: str) -> IssuedCert:
    """A self-signed RSA certificate for an app credential (Entra takes RSA keys only);
    ``chain_path`` holds the private key and the certificate in one PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.now(timezone.utc) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=365))
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    base = folder / name
    paths = base.with_suffix(".crt"), base.with_suffix(".key"), base.with_suffix(".pem")
    paths[0].write_bytes(cert_pem)
    paths[1].write_bytes(key_pem)
    paths[2].write_bytes(key_pem + cert_pem)
    return IssuedCert(cert_pem, key_pem, *paths)


def collection_devices(database: Path, collections: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(AAD device id, name) of each collection's active clients with a trusted key, read from
    the lab database's tables (not through the product's queries)."""
    found: dict[str, list[tuple[str, str]]] = {c: [] for c in collections}
    with sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True) as conn:
        for collection, device_id, name in conn.execute(
                "SELECT f.CollectionID, k.AADDeviceID, d.Name0 FROM v_FullCollectionMembership f "
                "JOIN System_DISC d ON d.ItemKey = f.ResourceID "
                "JOIN ClientKeyData k ON k.SMSID = d.SMS_Unique_Identifier0 "
                "WHERE d.Client0 = 1 AND d.Active0 = 1 AND d.Decommissioned0 = 0 "
                "AND d.Obsolete0 = 0 AND k.IsRevoked = 0 AND k.AgentType = 0 "
                "AND k.AADDeviceID IS NOT NULL ORDER BY f.CollectionID, d.ItemKey"):
            if collection in found:
                found[collection].append((str(device_id).lower(), str(name)))
    conn.close()
    return found


def audit_entry(app_id: str, app_name: str, group_id: str, device: Json, when: datetime,
                activity: str = "Add member to group") -> Json:
    """A directory audit entry of ``app_id`` changing a group's members."""
    return {"id": str(uuid.uuid4()), "category": "GroupManagement",
            "activityDisplayName": activity,
            "activityDateTime": when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "initiatedBy": {"app": {"appId": app_id.lower(), "displayName": app_name}},
            "targetResources": [{"id": device["id"], "type": "Device",
                                 "displayName": device["displayName"]},
                                {"id": group_id, "type": "Group"}]}


def expiry_in(days: int, now: datetime) -> datetime:
    """A secret end time ``days`` from ``now``."""
    return (now + timedelta(days=days)).replace(microsecond=0)
