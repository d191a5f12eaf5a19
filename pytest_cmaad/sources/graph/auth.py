"""Tokens for Microsoft Graph through msal: client secret, certificate, managed identity,
device code.

The plugin signs in with its own read-only app (``tenant_id``, ``client_id``), never with
ConfigMgr's server app. Errors are :class:`GraphAuthError`: one line that names the
authority, the AADSTS code when there is one, and the fix; never a secret.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from ...config import SiteSettings

# (authority host, Graph endpoint) of each national cloud.
CLOUDS: dict[str, tuple[str, str]] = {
    "global": ("https://login.microsoftonline.com", "https://graph.microsoft.com"),
    "usgov": ("https://login.microsoftonline.us", "https://graph.microsoft.us"),
    "usgov-dod": ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
    "china": ("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
}
KNOWN_AUTHORITY_HOSTS = frozenset(urlsplit(a).hostname for a, _ in CLOUDS.values())

# AADSTS code -> what to do about it.
AADSTS_FIXES: dict[str, str] = {
    "7000215": "the client secret is wrong: put the reader app's current secret in {secret_env}",
    "7000222": "the client secret expired: add a new secret to the reader app in Entra and put "
               "it in {secret_env}",
    "700016": "no app with client_id {client_id} in this tenant: check client_id and tenant_id",
    "90002": "tenant {tenant_id} was not found: check tenant_id and cloud",
    "900023": "tenant_id {tenant_id} is not a valid tenant: check tenant_id",
    "65001": "the reader app has no admin consent: grant admin consent for its Graph "
             "permissions",
    "700027": "the certificate is not registered on the reader app: upload its public key to "
              "the app in Entra (or check client_certificate)",
    "7000218": "the app expects a secret or certificate: check auth and its credential",
    "53003": "Conditional Access blocked the sign-in: exclude the reader app from the policy",
}
DEVICE_CODE_CACHE = Path.home() / ".cache" / "pytest-cmaad"


class GraphAuthError(Exception):
    """A token could not be acquired; the message is one line with the fix."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Endpoints:
    """Where the tokens come from and where Graph is."""

    authority: str
    graph_url: str
    instance_discovery: bool

    @property
    def scope(self) -> str:
        """The app-only scope of Graph."""
        return f"{self.graph_url}/.default"


def endpoints(settings: SiteSettings) -> Endpoints:
    """The authority (with the tenant) and Graph URL from ``cloud`` or explicit settings."""
    cloud_authority, cloud_graph = CLOUDS[str(settings.get("cloud") or "global")]
    tenant = str(settings.get("tenant_id"))
    authority = str(settings.get("authority") or cloud_authority).rstrip("/")
    if not urlsplit(authority).path.strip("/"):
        authority = f"{authority}/{tenant}"
    graph_url = str(settings.get("graph_url") or cloud_graph).rstrip("/")
    if graph_url.endswith(("/v1.0", "/beta")):
        graph_url = graph_url.rsplit("/", 1)[0]
    # Instance discovery asks login.microsoftonline.com about the host: only for known clouds.
    discovery = urlsplit(authority).hostname in KNOWN_AUTHORITY_HOSTS
    return Endpoints(authority, graph_url, discovery)


TokenProvider = Callable[[], str]


def make_token_provider(settings: SiteSettings, session: requests.Session,
                        environ: Mapping[str, str] | None = None) -> TokenProvider:
    """A function returning a valid access token (msal caches it between calls).

    :raises GraphAuthError: when the credential is missing or unreadable.
    """
    env = os.environ if environ is None else environ
    where = endpoints(settings)
    auth = str(settings.get("auth") or "client-secret")
    client_id = str(settings.get("client_id"))
    hints = {"secret_env": str(settings.get("client_secret_env")), "client_id": client_id,
             "tenant_id": str(settings.get("tenant_id"))}
    import msal  # imported on use: only Graph sites need it

    if auth == "managed-identity":
        identity = msal.UserAssignedManagedIdentity(client_id=client_id)
        mi = msal.ManagedIdentityClient(identity, http_client=session)

        def managed() -> str:
            return _token(mi.acquire_token_for_client(resource=where.graph_url), where, hints)

        return managed
    if auth == "device-code":
        return _device_code(msal, where, client_id, session, hints)
    credential = _credential(settings, env, hints)
    try:
        app = msal.ConfidentialClientApplication(
            client_id, client_credential=credential, authority=where.authority,
            http_client=session, instance_discovery=where.instance_discovery)
    except requests.RequestException as exc:
        raise GraphAuthError(_transport(where, exc)) from None
    except ValueError as exc:
        raise GraphAuthError(_discovery_error(where, exc, hints)) from None

    def confidential() -> str:
        try:
            result = app.acquire_token_for_client(scopes=[where.scope])
        except requests.RequestException as exc:
            raise GraphAuthError(_transport(where, exc)) from None
        except Exception as exc:  # msal and PyJWT raise several kinds for a bad credential
            raise GraphAuthError(f"graph: msal could not use the credential ({auth}): "
                                 f"{type(exc).__name__}: {str(exc)[:200]} — check "
                                 "client_certificate (an RSA key and its certificate)") from None
        return _token(result, where, hints)

    return confidential


def _credential(settings: SiteSettings, env: Mapping[str, str], hints: dict[str, str]
                ) -> Any:
    if str(settings.get("auth") or "client-secret") == "client-secret":
        name = hints["secret_env"]
        secret = env.get(name, "")
        if not secret:
            raise GraphAuthError(f"graph: the environment variable {name} is empty: put the "
                                 "reader app's client secret there (or set client_secret_env)")
        return secret
    path_text = settings.get("client_certificate")
    if not path_text:
        raise GraphAuthError("graph: auth is certificate but client_certificate is not set: "
                             "name the reader app's PEM or PFX file")
    path = Path(str(path_text))
    password_env = settings.get("client_certificate_password_env")
    password = env.get(str(password_env), "") if password_env else ""
    if not path.is_file():
        raise GraphAuthError(f"graph: client_certificate {path.name}: no such file")
    if path.suffix.lower() in (".pfx", ".p12"):
        return {"private_key_pfx_path": str(path), "passphrase": password or None}
    return _pem_credential(path, password)


def _pem_credential(path: Path, password: str) -> dict[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    data = path.read_bytes()
    try:
        cert = x509.load_pem_x509_certificate(data)
        key = serialization.load_pem_private_key(data, password.encode() or None)
    except (ValueError, TypeError) as exc:
        raise GraphAuthError(f"graph: client_certificate {path.name}: {exc} (expected a PEM "
                             "with the private key and the certificate)") from None
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    return {"private_key": pem, "thumbprint": thumbprint}


def _device_code(msal: Any, where: Endpoints, client_id: str, session: requests.Session,
                 hints: dict[str, str]) -> TokenProvider:
    DEVICE_CODE_CACHE.mkdir(parents=True, exist_ok=True)
    cache_file = DEVICE_CODE_CACHE / f"msal-{hints['tenant_id']}-{client_id}.json"
    cache = msal.SerializableTokenCache()
    if cache_file.is_file():
        cache.deserialize(cache_file.read_text(encoding="utf-8"))
    try:
        app = msal.PublicClientApplication(client_id, authority=where.authority,
                                           token_cache=cache, http_client=session,
                                           instance_discovery=where.instance_discovery)
    except requests.RequestException as exc:
        raise GraphAuthError(_transport(where, exc)) from None
    except ValueError as exc:
        raise GraphAuthError(_discovery_error(where, exc, hints)) from None

    def device() -> str:
        try:
            return _device_token()
        except GraphAuthError:
            raise
        except requests.RequestException as exc:
            raise GraphAuthError(_transport(where, exc)) from None
        except Exception as exc:  # msal raises its own service errors in this flow
            raise GraphAuthError(f"graph: device code sign-in at {where.authority} failed: "
                                 f"{type(exc).__name__}: {str(exc)[:200]} — check tenant_id, "
                                 "client_id and that the app allows public client flows"
                                 ) from None

    def _device_token() -> str:
        result = None
        for account in app.get_accounts():
            result = app.acquire_token_silent([where.scope], account=account)
            if result:
                break
        if not result:
            flow = app.initiate_device_flow(scopes=[where.scope])
            if "user_code" not in flow:
                return _token(flow, where, hints)
            # The prompt must reach the engineer even while pytest captures output.
            print(flow["message"], file=sys.__stderr__, flush=True)
            result = app.acquire_token_by_device_flow(flow)
        if cache.has_state_changed:
            cache_file.write_text(cache.serialize(), encoding="utf-8")
            cache_file.chmod(0o600)
        return _token(result, where, hints)

    return device


def _token(result: Mapping[str, Any] | None, where: Endpoints, hints: dict[str, str]) -> str:
    if result and "access_token" in result:
        return str(result["access_token"])
    result = result or {}
    codes = [str(c) for c in result.get("error_codes") or []]
    description = str(result.get("error_description") or result.get("error") or "no token")
    first = description.splitlines()[0].split(" Trace ID:")[0].strip()
    code = codes[0] if codes else None
    fix = AADSTS_FIXES.get(code or "", "check tenant_id, client_id and the credential").format(
        **hints)
    label = f"AADSTS{code}" if code and not first.startswith("AADSTS") else ""
    raise GraphAuthError(f"graph: no token from {where.authority}: {label + ' ' if label else ''}"
                         f"{first} — {fix}", code=f"AADSTS{code}" if code else None)


def _transport(where: Endpoints, exc: BaseException) -> str:
    from ..http import root_cause

    return (f"graph: cannot reach the authority {where.authority}: {root_cause(exc)} — check "
            "authority (or cloud) and ca_bundle")


def _discovery_error(where: Endpoints, exc: BaseException, hints: dict[str, str]) -> str:
    # msal turns a failed OIDC discovery (AADSTS90002 for an unknown tenant) into ValueError.
    return (f"graph: the authority {where.authority} has no OpenID configuration for tenant "
            f"{hints['tenant_id']} (AADSTS90002 or a wrong authority) — check tenant_id, cloud "
            "and authority")
