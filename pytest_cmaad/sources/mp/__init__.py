"""The management point source: what each MP serves over HTTP and HTTPS, with TLS facts.

MPs come from the profile's ``management_points`` (base URLs, grouped by host: one URL per
scheme; a missing scheme uses its default port), else from the site database's list.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ...facts import Fact, MpReports, Problem
from ...snapshot import SourceState
from ..http import make_session
from .probe import MpTarget, Trust, probe

if TYPE_CHECKING:
    from datetime import datetime

    from ...sites import Site, SourceResult

SOURCE = "mp"
MAX_PARALLEL = 8


def targets_from_urls(urls: list[str]) -> list[MpTarget]:
    """Group base URLs by host into one target per MP."""
    by_host: dict[str, dict[str, str]] = {}
    for url in urls:
        parts = urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"management_points: {url!r} is not an http:// or https:// URL")
        by_host.setdefault(parts.hostname.lower(), {})[parts.scheme] = url.rstrip("/")
    return [MpTarget(host, schemes.get("http", f"http://{host}"),
                     schemes.get("https", f"https://{host}"))
            for host, schemes in sorted(by_host.items())]


def _targets(site: Site) -> tuple[list[MpTarget], str]:
    configured = site.settings.get("management_points")
    if configured:
        return targets_from_urls(list(configured)), "management_points"
    listed: Fact[Any] | None = site.collected.get("management_points")
    if listed is None or listed.value is None:
        reason = listed.problem.message if listed and listed.problem else "no list"
        raise LookupError(f"mp: the site database's management point list is not available "
                          f"({reason}) — set management_points")
    names = sorted({s.server_name.lower() for s in listed.value})
    return targets_from_urls([f"https://{n}" for n in names]), "site database"


def collect(site: Site, now: datetime) -> SourceResult:
    """Probe every management point of the site, several at a time."""
    from ...sites import SourceResult

    started = time.perf_counter()
    try:
        targets, origin = _targets(site)
    except (LookupError, ValueError) as exc:
        problem = Problem(source=SOURCE, message=str(exc))
        return SourceResult({"mp_reports": Fact(source=SOURCE, problem=problem)},
                            SourceState(state="error", problem=problem))
    settings = site.settings
    trust = Trust(settings.get("ca_bundle"), settings.get("mp_client_cert"),
                  float(settings.get("mp_timeout")))
    addresses = site.lab.addresses if site.lab is not None else {}
    session = make_session(addresses)
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL, len(targets)))) as pool:
        reports = list(pool.map(
            lambda t: probe(t, session, addresses.get(t.name), trust), targets))
    session.close()
    state = SourceState(state="ok", description=f"{len(targets)} management points ({origin})",
                        seconds=round(time.perf_counter() - started, 3))
    fact = Fact(source=SOURCE, value=MpReports(origin=origin, reports=reports))
    return SourceResult({"mp_reports": fact}, state, {"mp": [t.name for t in targets]})
