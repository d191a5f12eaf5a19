"""Probe one management point: MPLIST over HTTP and HTTPS, MPCERT, MPKEYINFORMATION, CCM_STS."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3

from ...facts import HttpProbe, MpReport
from ...parsers.mplist import MpListError, parse_mplist
from ..http import root_cause
from .tls import TlsProbeError, probe_tls

MPLIST = "/SMS_MP/.sms_aut?MPLIST"
MPCERT = "/SMS_MP/.sms_aut?MPCERT"
MPKEYINFORMATION = "/SMS_MP/.sms_aut?MPKEYINFORMATION"
TOKEN_SERVICE = "/CCM_STS"
BODY_KEPT = 300


@dataclass(frozen=True)
class MpTarget:
    """Where one management point is reached."""

    name: str
    http_url: str | None
    https_url: str | None


@dataclass(frozen=True)
class Trust:
    """How HTTPS is verified: the CA file (None: the default store) and a client certificate."""

    ca_file: str | None
    client_cert: str | None
    timeout: float


def _one_line(exc: requests.RequestException, timeout: float) -> str:
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS: {root_cause(exc)}"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, requests.exceptions.ConnectionError):
        cause = root_cause(exc)
        return "connection refused" if "refused" in cause.lower() else cause
    return root_cause(exc)


def get(session: requests.Session, url: str, trust: Trust, verify: bool = True
        ) -> tuple[HttpProbe, str]:
    """One GET, never raising: the probe (status, start of the body, or the reason) and the
    whole body."""
    kwargs = {"timeout": trust.timeout, "allow_redirects": False, "cert": trust.client_cert}
    https = url.lower().startswith("https:")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            response = session.get(url, verify=(trust.ca_file or True) if verify else False,
                                   **kwargs)  # type: ignore[arg-type]
    except requests.RequestException as exc:
        return HttpProbe(url=url, error=_one_line(exc, trust.timeout),
                         verified=False if https else None), ""
    text = response.text
    return HttpProbe(url=url, status=response.status_code, reason=response.reason,
                     body=text[:BODY_KEPT], verified=verify if https else None), text


def probe(target: MpTarget, session: requests.Session, address: str | None, trust: Trust
          ) -> MpReport:
    """Everything about one MP; every failure becomes a fact with a one-line reason."""
    report: dict[str, object] = {"name": target.name, "http_url": target.http_url,
                                 "https_url": target.https_url}
    mplists: list[str] = []
    if target.https_url:
        report.update(_https(target, target.https_url, session, address, trust, mplists))
    if target.http_url:
        report["mplist_http"], text = get(session, target.http_url + MPLIST, trust)
        if report["mplist_http"].status == 200:  # type: ignore[attr-defined]
            mplists.append(text)
    if mplists:
        try:
            entries = parse_mplist(mplists[0])
            report["mplist_names"] = sorted({e.fqdn for e in entries if e.fqdn})
            versions = [e.version for e in entries if e.fqdn == target.name.lower()]
            report["version"] = versions[0] if versions else None
        except MpListError as exc:
            report["mplist_error"] = str(exc)
    return MpReport.model_validate(report)


def _https(target: MpTarget, base: str, session: requests.Session, address: str | None,
           trust: Trust, mplists: list[str]) -> dict[str, object]:
    parts = urlsplit(base)
    found: dict[str, object] = {}
    try:
        found["tls"] = probe_tls(target.name, address or target.name, parts.port or 443,
                                 trust.ca_file, trust.client_cert, trust.timeout)
    except TlsProbeError as exc:
        found["tls_error"] = str(exc)
        return found
    verified = found["tls"].verify_error is None  # type: ignore[attr-defined]
    for key, path in (("mplist_https", MPLIST), ("mpcert", MPCERT),
                      ("mpkeyinfo", MPKEYINFORMATION), ("token_service", TOKEN_SERVICE)):
        found[key], text = get(session, base + path, trust, verify=verified)
        if key == "mplist_https" and found[key].status == 200:  # type: ignore[attr-defined]
            mplists.append(text)
    keyinfo = found["mpkeyinfo"]
    mplist = found["mplist_https"]
    found["client_cert_required"] = any(
        isinstance(p, HttpProbe) and p.status == 403 and "client certificate" in p.body.lower()
        for p in (keyinfo, mplist))
    return found
