"""Read-only Microsoft Graph requests: paging, ``$batch``, throttling and bounded waits.

Only GETs go out, and ``$batch`` POSTs whose inner requests are all GETs. A 429 or 503 is
retried after its ``Retry-After`` (exponential back-off without one); the total wait of one
collection is bounded, and what it cost is counted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from ..http import root_cause
from .auth import TokenProvider

BATCH_SIZE = 20
PAGE_SIZE = 999
MAX_PAGES = 10_000
RETRY_STATUSES = frozenset({429, 503, 504})
FIRST_BACKOFF = 0.5


class GraphError(Exception):
    """A Graph request that failed; one line naming the request and the fix."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Cost:
    """What the reads cost: HTTP requests (a batch counts once), throttled answers, wait."""

    requests: int = 0
    throttled: int = 0
    waited: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, requests: int = 0, throttled: int = 0, waited: float = 0.0) -> None:
        """Count atomically (reads run in threads)."""
        with self.lock:
            self.requests += requests
            self.throttled += throttled
            self.waited += waited


def _fix(status: int, code: str) -> str:
    if status == 403 or code == "Authorization_RequestDenied":
        return ("grant the reader app the Graph application permissions Group.Read.All, "
                "Device.Read.All, Application.Read.All and AuditLog.Read.All (admin consent)")
    if status == 401:
        return "the token was refused: check tenant_id, cloud and graph_url"
    return "check graph_url and retry later"


class GraphClient:
    """GETs against one Graph endpoint with a token from ``token``.

    :param base: the Graph URL with its version, e.g. ``https://graph.microsoft.com/v1.0``.
    :param max_wait: seconds of throttling waits allowed in all.
    """

    def __init__(self, base: str, session: requests.Session, token: TokenProvider,
                 timeout: float, max_wait: float, verify: str | bool = True) -> None:
        self.base, self.session, self.token = base.rstrip("/"), session, token
        self.timeout, self.max_wait, self.verify = timeout, max_wait, verify
        self.cost = Cost()

    def _url(self, path: str) -> str:
        return path if path.startswith("https://") else f"{self.base}/{path.lstrip('/')}"

    def _wait(self, seconds: float, what: str) -> None:
        with self.cost.lock:
            left = self.max_wait - self.cost.waited
        if seconds > left:
            raise GraphError(f"graph {what}: still throttled after {self.max_wait:.0f} s of "
                             "waiting — retry later or raise graph_max_retry_seconds", 429)
        self.cost.add(waited=seconds)
        time.sleep(seconds)

    def _send(self, method: str, path: str, body: Any = None) -> requests.Response:
        url = self._url(path)
        what = path.split("?")[0] if not path.startswith("https://") else "nextLink"
        backoff = FIRST_BACKOFF
        while True:
            self.cost.add(requests=1)
            headers = {"Authorization": f"Bearer {self.token()}",
                       "ConsistencyLevel": "eventual"}
            try:
                response = self.session.request(method, url, json=body, headers=headers,
                                                 timeout=self.timeout, verify=self.verify,
                                                 allow_redirects=False)
            except requests.exceptions.SSLError as exc:
                raise GraphError(f"graph {what}: TLS: {root_cause(exc)} — set ca_bundle to the "
                                 "CA of Graph's certificate (or of your TLS proxy)") from None
            except requests.RequestException as exc:
                raise GraphError(f"graph {what}: {root_cause(exc)} — check graph_url and the "
                                 "network path to Graph") from None
            if response.status_code not in RETRY_STATUSES:
                return response
            self.cost.add(throttled=1)
            delay = _retry_after(response.headers.get("Retry-After"))
            self._wait(delay if delay is not None else backoff, what)
            backoff = min(backoff * 2, 30.0)

    def get(self, path: str) -> dict[str, Any]:
        """One GET; raises :class:`GraphError` (status 404 for a missing object)."""
        response = self._send("GET", path)
        return _body(response, path)

    def pages(self, path: str) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following ``@odata.nextLink``."""
        url: str | None = path
        for _ in range(MAX_PAGES):
            if url is None:
                return
            body = self.get(url)
            yield from body.get("value", [])
            url = body.get("@odata.nextLink")
        raise GraphError(f"graph {path.split('?')[0]}: more than {MAX_PAGES} pages")

    def batch(self, paths: list[str]) -> list[tuple[int, dict[str, Any]]]:
        """GET every path through ``$batch`` (20 per request); inner 429s are sent again.

        :returns: (status, body) per path, in order.
        """
        results: dict[int, tuple[int, dict[str, Any]]] = {}
        pending = list(range(len(paths)))
        backoff = FIRST_BACKOFF
        while pending:
            retry: list[int] = []
            delay = 0.0
            for start in range(0, len(pending), BATCH_SIZE):
                chunk = pending[start:start + BATCH_SIZE]
                body = {"requests": [{"id": str(i), "method": "GET", "url": "/" + paths[i]
                                      .lstrip("/")} for i in chunk]}
                answer = _body(self._send("POST", "$batch", body), "$batch")
                for inner in answer.get("responses", []):
                    index, status = int(inner["id"]), int(inner.get("status", 0))
                    if status in RETRY_STATUSES:
                        retry.append(index)
                        headers = {k.lower(): v for k, v in (inner.get("headers") or {}).items()}
                        after = _retry_after(headers.get("retry-after"))
                        delay = max(delay, after if after is not None else backoff)
                        continue
                    results[index] = (status, inner.get("body") or {})
                missing = set(chunk) - set(results) - set(retry)
                if missing:
                    raise GraphError(f"graph $batch: no answer for {len(missing)} requests")
            if retry:
                self.cost.add(throttled=len(retry))
                self._wait(delay, "$batch")
                backoff = min(backoff * 2, 30.0)
            pending = sorted(retry)
        return [results[i] for i in range(len(paths))]


def _retry_after(value: Any) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _body(response: requests.Response, path: str) -> dict[str, Any]:
    what = path.split("?")[0] if not path.startswith("https://") else "nextLink"
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict):
        return body
    error = (body or {}).get("error", {}) if isinstance(body, dict) else {}
    code = str(error.get("code") or response.reason or "")
    message = " ".join(str(error.get("message") or "").split())[:200]
    raise GraphError(f"graph {what}: HTTP {response.status_code} {code}"
                     f"{': ' + message if message else ''} — {_fix(response.status_code, code)}",
                     response.status_code)


def inner_error(status: int, body: dict[str, Any], path: str) -> GraphError:
    """The error of a failed inner ``$batch`` answer."""
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = str(error.get("code") or "")
    message = " ".join(str(error.get("message") or "").split())[:200]
    return GraphError(f"graph {path.split('?')[0]}: HTTP {status} {code}"
                      f"{': ' + message if message else ''} — {_fix(status, code)}", status)
