"""Lab management points: HTTP and HTTPS listeners on loopback that answer like an MP.

Each listener serves ``/SMS_MP/.sms_aut?MPLIST``, ``?MPCERT``, ``?MPKEYINFORMATION`` and
``/CCM_STS``, and records every request it receives. What an MP gets wrong comes from its
:class:`MpSpec`: an expired or misnamed certificate, a broken 443 binding answering
``403 CMGConnector_Forbidden``, a missing token service, client certificates required, no
HTTPS at all, or no answer at all.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal

from .pki import IssuedCert, LabCA

Certificate = Literal["site-issued", "pki", "expired", "wrong-name"]
# How often a server loop looks for shutdown: short, so that closing a lab is quick.
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class MpSpec:
    """How one lab management point behaves.

    :param name: its FQDN.
    :param certificate: what its 443 binding presents; None for no HTTPS listener.
    :param client_auth: HTTPS requests without a client certificate get 403.7.
    :param forbidden: the 443 binding answers every request with 403 CMGConnector_Forbidden.
    :param token_service: whether ``/CCM_STS`` exists.
    :param down: no listener at all (the ports are reserved but closed).
    """

    name: str
    certificate: Certificate | None = "site-issued"
    client_auth: bool = False
    forbidden: bool = False
    token_service: bool = True
    down: bool = False


@dataclass
class RequestLog:
    """What the lab's servers received: (method, server, path), in order."""

    entries: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, method: str, server: str, path: str) -> None:
        """Record one request."""
        with self.lock:
            self.entries.append((method, server, path))


def mplist_xml(site_code: str, names: list[str], version: str) -> str:
    """The MPLIST answer: every MP of the site."""
    mps = "".join(
        f'<MP Name="{n.split(".")[0].upper()}" FQDN="{n}" SiteCode="{site_code}">'
        f'<Version>{version}</Version><Capabilities SchemaVersion="1.0">'
        '<Property Name="SSL" Version="1" /></Capabilities></MP>' for n in names)
    return f"<MPList>{mps}</MPList>"


class _Handler(BaseHTTPRequestHandler):
    server: _MpServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: the request log is the record."""

    def _answer(self, status: int, body: str, reason: str | None = None,
                content_type: str = "text/xml") -> None:
        data = body.encode("utf-8")
        self.send_response(status, reason)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        """Answer like an MP's IIS site."""
        mp = self.server.mp
        self.server.log.add("GET", f"{mp.spec.name}:{self.server.scheme}", self.path)
        if self.server.scheme == "https":
            if mp.spec.forbidden:
                return self._answer(403, "", "CMGConnector_Forbidden", "text/html")
            if mp.spec.client_auth and not self.connection.getpeercert():
                return self._answer(403, "<html><body>403.7 - Client certificate required"
                                         "</body></html>", None, "text/html")
        path, _, query = self.path.partition("?")
        if path.lower() == "/sms_mp/.sms_aut":
            return self._sms_aut(query.upper())
        if path.lower().rstrip("/") == "/ccm_sts" and mp.spec.token_service:
            self.send_response(405)
            self.send_header("Allow", "POST")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return self._answer(404, "<html><body>404 - File or directory not found.</body></html>",
                            None, "text/html")

    def _sms_aut(self, query: str) -> None:
        mp = self.server.mp
        if query == "MPLIST":
            return self._answer(200, mp.mplist())
        if query == "MPCERT":
            return self._answer(200, "3082" + "AB" * 64, content_type="text/plain")
        if query == "MPKEYINFORMATION":
            return self._answer(200, f"<MPKEYINFORMATION><FQDN>{mp.spec.name}</FQDN>"
                                     f"<SITECODE>{mp.site_code}</SITECODE></MPKEYINFORMATION>")
        return self._answer(403, "", None, "text/html")

    def _refuse(self) -> None:
        self.server.log.add(self.command, f"{self.server.mp.spec.name}:{self.server.scheme}",
                            self.path)
        self._answer(405, "", None, "text/html")

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _refuse


class _MpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mp: LabManagementPoint, scheme: str, log: RequestLog,
                 context: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mp, self.scheme, self.log, self.context = mp, scheme, log, context

    def get_request(self):  # type: ignore[no-untyped-def]
        sock, address = super().get_request()
        if self.context is not None:
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def finish_request(self, request, client_address):  # type: ignore[no-untyped-def]
        if isinstance(request, ssl.SSLSocket):
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)


class LabManagementPoint:
    """One running lab MP (or, when down, two reserved and closed ports)."""

    def __init__(self, spec: MpSpec, site_code: str, version: str, peers: Callable[[], list[str]],
                 log: RequestLog, tls: ssl.SSLContext | None) -> None:
        self.spec, self.site_code, self.version, self._peers = spec, site_code, version, peers
        self._servers: list[_MpServer] = []
        self._reserved: list[socket.socket] = []
        if spec.down:
            self.http_port, self.https_port = self._closed_port(), self._closed_port()
            return
        self.http_port = self._start("http", log, None)
        self.https_port = (self._start("https", log, tls) if tls is not None
                           else self._closed_port())

    def _closed_port(self) -> int:
        """A port that refuses connections for as long as the lab runs: bound, never
        listening, so no other server (another lab, another test process) can take it."""
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self._reserved.append(sock)
        return int(sock.getsockname()[1])

    def _start(self, scheme: str, log: RequestLog, context: ssl.SSLContext | None) -> int:
        server = _MpServer(self, scheme, log, context)
        threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,),
                         name=f"lab-mp-{scheme}", daemon=True).start()
        self._servers.append(server)
        return int(server.server_address[1])

    def mplist(self) -> str:
        """This MP's MPLIST answer."""
        return mplist_xml(self.site_code, self._peers(), self.version)

    @property
    def urls(self) -> list[str]:
        """The base URLs a profile names for this MP."""
        return [f"http://{self.spec.name}:{self.http_port}",
                f"https://{self.spec.name}:{self.https_port}"]

    def close(self) -> None:
        """Stop the listeners and free the reserved ports."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for sock in self._reserved:
            sock.close()


@dataclass
class LabMpFleet:
    """The lab's management points, their CAs, and what a profile needs to reach them."""

    mps: list[LabManagementPoint]
    log: RequestLog
    ca_bundle: Path
    client_cert: Path | None

    @property
    def urls(self) -> list[str]:
        """Every MP's HTTP and HTTPS base URL."""
        return [url for mp in self.mps for url in mp.urls]

    def close(self) -> None:
        """Stop every listener."""
        for mp in self.mps:
            mp.close()


def _server_context(cert: IssuedCert, client_ca: Path | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert_path, cert.key_path)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(client_ca)
    return context


def start_fleet(specs: tuple[MpSpec, ...], root: LabCA, site_ca: LabCA, site_code: str,
                version: str, https_enabled: bool, log: RequestLog) -> LabMpFleet:
    """Issue the certificates and start every MP; ``https_enabled`` follows the site's
    communication security (an HTTP-only site binds no certificate)."""
    bundle = root.folder / "lab-ca-bundle.pem"
    bundle.write_bytes(root.cert_pem + site_ca.cert_pem)
    names = [spec.name for spec in specs]
    client_cert = None
    if any(spec.client_auth for spec in specs):
        client_cert = root.issue(("cmaad-reader.lab.contoso.test",), client=True).chain_path
    fleet: list[LabManagementPoint] = []
    for spec in specs:
        context = None
        if https_enabled and spec.certificate is not None:
            cert = _issue(spec, root, site_ca)
            context = _server_context(cert, root.cert_path if spec.client_auth else None)
        fleet.append(LabManagementPoint(spec, site_code, version, lambda: names, log, context))
    return LabMpFleet(fleet, log, bundle, client_cert)


def _issue(spec: MpSpec, root: LabCA, site_ca: LabCA) -> IssuedCert:
    stem = spec.name.replace(".", "_")
    if spec.certificate == "site-issued":
        return site_ca.issue((spec.name,), "SMS Role SSL Certificate", stem=stem)
    if spec.certificate == "expired":
        return site_ca.issue((spec.name,), "SMS Role SSL Certificate", expired_days_ago=12,
                             stem=stem)
    if spec.certificate == "wrong-name":
        return root.issue(("mp99.lab.contoso.test",), stem=stem)
    return root.issue((spec.name,), stem=stem)
