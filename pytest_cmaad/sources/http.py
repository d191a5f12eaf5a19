"""HTTP(S) sessions for site systems: bounded retries and timeouts, per-request trust.

The session ignores the environment's proxy and CA variables (``trust_env`` off), so a
configured ``ca_bundle`` is what verifies, and nothing overrides it silently. A host can be
pinned to an address (the lab's names live on loopback): the connection goes to the address
while SNI, the Host header and the certificate check keep the name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRY = Retry(total=2, connect=2, read=1, status=0, backoff_factor=0.2,
              allowed_methods=frozenset({"GET"}), raise_on_status=False)


class PinnedAddressAdapter(HTTPAdapter):
    """Connect to ``address`` for requests to ``host``, keeping ``host`` for TLS and Host."""

    def __init__(self, host: str, address: str) -> None:
        self.host, self.address = host, address
        super().__init__(max_retries=RETRY)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        """Keep the host name for SNI and the certificate's name check."""
        super().init_poolmanager(connections, maxsize, block, server_hostname=self.host,
                                 assert_hostname=self.host, **pool_kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
             ) -> requests.Response:
        """Send to the pinned address."""
        parts = urlsplit(request.url or "")
        if parts.hostname and parts.hostname.lower() == self.host.lower():
            request.headers["Host"] = parts.netloc
            netloc = self.address + (f":{parts.port}" if parts.port else "")
            request.url = urlunsplit(parts._replace(netloc=netloc))
        return super().send(request, *args, **kwargs)


def root_cause(exc: BaseException) -> str:
    """The innermost cause of a requests/urllib3 error, as one short line."""
    seen = exc
    while seen.__cause__ is not None or seen.__context__ is not None:
        seen = seen.__cause__ or seen.__context__  # type: ignore[assignment]
    text = str(seen.args[-1] if seen.args else seen)
    return " ".join(text.split())[:300]


def make_session(addresses: Mapping[str, str]) -> requests.Session:
    """A session with retries, no environment trust, and the given host pins."""
    session = requests.Session()
    session.trust_env = False
    adapter = HTTPAdapter(max_retries=RETRY)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    for host, address in addresses.items():
        pinned = PinnedAddressAdapter(host, address)
        session.mount(f"http://{host}", pinned)
        session.mount(f"https://{host}", pinned)
    return session
