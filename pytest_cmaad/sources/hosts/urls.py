"""Host URLs as the profile gives them: names for test ids, descriptions without secrets."""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from dataclasses import dataclass


@dataclass(frozen=True)
class HostUrl:
    """One entry of ``client_hosts`` or ``server_hosts``.

    :param url: as configured (may hold a password: never show it).
    :param scheme: the testinfra backend (``winrm``, ``ssh``, ``local``, ...).
    :param name: the host named in the URL, ``""`` for a bare ``local://``.
    :param port: the port in the URL, if any.
    """

    url: str
    scheme: str
    name: str
    port: int | None

    @property
    def address(self) -> str:
        """The URL without credentials or query: safe to print."""
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{self.name}{port}"

    @property
    def label(self) -> str:
        """How checks and test ids name the host."""
        if self.name:
            return self.name
        return local_computer_name() if self.scheme == "local" else self.scheme

    @property
    def secrets(self) -> tuple[str, ...]:
        """The password (raw and URL-encoded) to strip from any message."""
        parsed = urllib.parse.urlsplit(self.url)
        raw = parsed.password
        if not raw:
            return ()
        return tuple(dict.fromkeys((urllib.parse.unquote(raw), raw)))

    def redact(self, text: str) -> str:
        """``text`` with this URL's password (and the whole URL) replaced."""
        text = text.replace(self.url, self.address)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


class HostUrlError(ValueError):
    """A host URL that cannot be used; the message never holds its password."""


def parse_host_url(url: str) -> HostUrl:
    """Split a testinfra host URL (``winrm://user:pw@host:5986``, ``local://``).

    :raises HostUrlError: when it has no ``scheme://`` or a bad port.
    """
    if "://" not in url:
        raise HostUrlError("expected a URL such as winrm://user@host:5986, ssh://host or "
                           "local://")
    parsed = urllib.parse.urlsplit(url)
    try:
        port = parsed.port
    except ValueError:
        raise HostUrlError("the port is not a number from 0 to 65535") from None
    # urlsplit lower-cases the host name; keep it as written (it names the test).
    host = parsed.netloc.rpartition("@")[2]
    host = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
    return HostUrl(url=url, scheme=parsed.scheme.lower(), name=urllib.parse.unquote(host),
                   port=port)


def computer_name(host: HostUrl) -> str | None:
    """The NetBIOS-style name the site database knows the host by, when the URL gives one.

    ``ws042.contoso.com`` -> ``WS042``; None for an IP address.
    """
    name = host.label
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name.split(".", 1)[0].upper() or None
    return None


def local_computer_name() -> str:
    """This machine's short name, for a bare ``local://``."""
    return socket.gethostname().split(".", 1)[0] or "localhost"


def unique_labels(hosts: list[HostUrl]) -> list[str]:
    """Labels for ``hosts``; two URLs naming the same host are told apart by scheme and port."""
    labels = [h.label for h in hosts]
    return [label if labels.count(label) == 1 else f"{label}:{h.scheme}{h.port or ''}"
            for label, h in zip(labels, hosts, strict=True)]


def shown_url(url: str) -> str:
    """A URL that did not parse, without anything before an ``@`` (user and password)."""
    return url.rpartition("@")[2]


def client_names(urls: list[str]) -> list[str]:
    """The names the site database may know the configured clients by (bad URLs skipped)."""
    names: list[str] = []
    for url in urls:
        try:
            name = computer_name(parse_host_url(url))
        except HostUrlError:
            continue
        if name:
            names.append(name)
    return sorted(set(names))
