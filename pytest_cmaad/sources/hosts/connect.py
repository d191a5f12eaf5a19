"""Open a host through testinfra, learn its platform, and say in one line why it failed."""

from __future__ import annotations

import sys
from typing import Any

from .scripts import Platform
from .urls import HostUrl

WINDOWS_ONLY = ("winrm",)


def open_host(host: HostUrl, timeout: int) -> Any:
    """A testinfra host for ``host``, with ``timeout`` applied where the backend takes one.

    Values given in the URL's query win over ``timeout``.
    """
    import testinfra

    kwargs: dict[str, Any] = {}
    query = host.url.partition("?")[2]
    if host.scheme == "winrm" and "timeout_sec" not in query:
        # pywinrm wants whole seconds, the read timeout above the operation timeout (>= 1).
        read = max(timeout, 2)
        kwargs = {"read_timeout_sec": read, "operation_timeout_sec": read - 1}
    elif host.scheme in ("ssh", "safe-ssh", "paramiko") and "timeout=" not in query:
        kwargs = {"timeout": timeout}
    return testinfra.get_host(host.url, **kwargs)


def platform_of(host: HostUrl, connection: Any) -> Platform:
    """Windows or POSIX: known from the scheme, else asked (``%OS%`` expands only in cmd)."""
    if host.scheme in WINDOWS_ONLY:
        return "windows"
    if host.scheme == "local":
        return "windows" if sys.platform == "win32" else "posix"
    result = connection.run("echo %OS%$PSVersionTable")
    text = result.stdout_bytes.decode("utf-8", errors="replace")
    return "windows" if any(w in text for w in ("Windows_NT", "PSVersion", "Hashtable")) \
        else "posix"


def describe_failure(host: HostUrl, exc: BaseException, timeout: int) -> str:
    """One line naming the host, what went wrong and what to do, without any secret."""
    text = host.redact(" ".join(str(exc).split()))
    kind = type(exc).__name__
    lowered = f"{kind} {text}".lower()
    if "must install the pywinrm" in lowered:
        reason, fix = "winrm:// needs pywinrm", "pip install pywinrm"
    elif "unknown connection type" in lowered:
        reason = f"'{host.scheme}://' is not a testinfra backend"
        fix = "use winrm://, ssh:// or local:// in client_hosts / server_hosts"
    elif "refused" in lowered:
        reason, fix = "connection refused", f"check {_listen_hint(host)}"
    elif "timed out" in lowered or "timeout" in lowered:
        reason = f"no answer within {timeout} s"
        fix = f"check that the host is up and {_listen_hint(host)}, or raise host_timeout"
    elif "credentials" in lowered or "401" in lowered or "authentication" in lowered:
        reason, fix = "the credentials were rejected", "check the user and password in the URL"
    elif "name or service not known" in lowered or "getaddrinfo" in lowered or (
            "nodename nor servname" in lowered):
        reason, fix = "the name does not resolve", "check the host name"
    else:
        reason = f"{kind}: {text[:160]}" if text else kind
        fix = f"check that the host is up and {_listen_hint(host)}"
    return f"hosts {host.label}: cannot reach {host.address}: {reason}; {fix}"


def _listen_hint(host: HostUrl) -> str:
    if host.scheme == "winrm":
        return ("that WinRM listens on the port in the URL (5986 for HTTPS, 5985 with "
                "?no_ssl=true)")
    if host.scheme in ("ssh", "safe-ssh", "paramiko"):
        return "that its SSH server answers on the port in the URL"
    return "that it accepts commands"
