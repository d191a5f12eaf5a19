"""Selected sites: their settings, their lab (if any), and their snapshot, collected once.

Each source has a collector in :data:`COLLECTORS`; a configured source without one is
reported as not supported. When two sources provide the same fact, the one listed first in
:data:`pytest_cmaad.config.SOURCES` is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .config import SOURCES, SiteSettings
from .facts import Fact, SiteFacts
from .lab import LabSite
from .snapshot import SiteSnapshot, SourceState
from .sources.adminservice import collect as collect_adminservice
from .sources.graph import collect as collect_graph
from .sources.hosts.collect import collect_hosts
from .sources.hosts.urls import client_names
from .sources.mp import collect as collect_mp
from .sources.sitedb.collect import FACT_NAMES, collect_site_db
from .sources.sitedb.database import Database, OdbcDatabase


@dataclass
class Site:
    """A site selected with ``--cm-site``.

    :param settings: its resolved settings.
    :param lab: the lab behind it, for ``lab`` sites.
    :param collected: the facts gathered so far while a snapshot is being collected (a
        source may build on an earlier one's, e.g. the MPs the database lists).
    """

    settings: SiteSettings
    lab: LabSite | None = None
    collected: dict[str, Fact[Any]] = field(default_factory=dict, repr=False)
    _snapshot: SiteSnapshot | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The site as selected."""
        return self.settings.name

    def connect_sql(self) -> Database:
        """Open the site database read-only (the lab's own, or the profile's ``sql``)."""
        timeouts = (int(self.settings.get("sql_login_timeout")),
                    int(self.settings.get("sql_query_timeout")))
        if self.lab is not None:
            return self.lab.connect_sql(*timeouts)
        return OdbcDatabase(str(self.settings.get("sql")), *timeouts)

    def snapshot(self) -> SiteSnapshot:
        """The site's snapshot, collected on first use."""
        if self._snapshot is None:
            self._snapshot = collect_snapshot(self)
        return self._snapshot

    @property
    def collected_snapshot(self) -> SiteSnapshot | None:
        """The snapshot if it has been collected (or replayed), without collecting it."""
        return self._snapshot


@dataclass(frozen=True)
class SourceResult:
    """What one source gathered, how it fared, and the objects it found per kind."""

    facts: dict[str, Fact[Any]]
    state: SourceState
    objects: dict[str, list[str]] = field(default_factory=dict)


Collector = Callable[[Site, datetime], SourceResult]
# Facts a later source builds on that grow with the site: they stay out of the snapshot (the
# later source keeps what the checks need of them, bounded).
TRANSIENT_FACTS = frozenset({"collection_members"})


def collect_sql(site: Site, now: datetime) -> SourceResult:
    """The site database source; a connection failure is every database fact's problem."""
    declared = sorted((site.settings.get("group_sync") or {}).keys())
    facts, db, problem, seconds = collect_site_db(
        site.connect_sql, site.settings.site_code, declared, now,
        client_names(site.settings.get("client_hosts") or []))
    state = SourceState(
        state="error" if problem else "ok", description=db.description if db else "",
        problem=problem, queries=db.queries if db else 0, seconds=round(seconds, 3))
    if problem is not None:
        facts = {name: Fact(source="sql", problem=problem) for name in FACT_NAMES}
    return SourceResult(facts, state)


COLLECTORS: dict[str, Collector] = {
    "sql": collect_sql,
    "adminservice": collect_adminservice,
    "mp": collect_mp,
    "graph": collect_graph,
    "hosts": collect_hosts,
}


def collect_snapshot(site: Site, now: datetime | None = None) -> SiteSnapshot:
    """Ask every configured source for its facts."""
    moment = now or datetime.now(timezone.utc)
    sources: dict[str, SourceState] = {}
    facts: dict[str, Any] = {}
    objects: dict[str, list[str]] = {}
    disagreements: list[str] = []
    site.collected = {}
    for source in SOURCES:
        if not site.settings.configured(source):
            sources[source] = SourceState(state="not-configured")
        elif source not in COLLECTORS:
            sources[source] = SourceState(state="not-supported")
        else:
            result = COLLECTORS[source](site, moment)
            sources[source] = result.state
            for name, fact in result.facts.items():
                if name in site.collected:
                    disagreements.extend(compare(name, site.collected[name], fact))
                    continue
                site.collected[name] = fact
                if name not in TRANSIENT_FACTS:
                    facts[name] = fact.model_dump()
            for kind, found in result.objects.items():
                objects[kind] = sorted(set(objects.get(kind, [])) | set(found))
    return SiteSnapshot(
        site=site.settings.name, site_code=site.settings.site_code, collected_at=moment,
        sources=dict(sorted(sources.items())), facts=SiteFacts.model_validate(facts),
        objects=objects, disagreements=disagreements)


def compare(name: str, kept: Fact[Any], other: Fact[Any]) -> list[str]:
    """How two sources' readings of one fact differ (objects' own names aside)."""
    if kept.value is None or other.value is None:
        return []
    first, second = _comparable(kept.value), _comparable(other.value)
    if first == second:
        return []
    return [f"{name}: {kept.source} and {other.source} disagree ({kept.source} is used): "
            f"{_first_difference(first, second)}"]


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if hasattr(value, "model_dump"):
        return {k: v for k, v in value.model_dump().items() if k != "object"}
    return value


def _first_difference(first: Any, second: Any, path: str = "") -> str:
    if isinstance(first, dict) and isinstance(second, dict):
        for key in sorted(set(first) | set(second)):
            if first.get(key) != second.get(key):
                return _first_difference(first.get(key), second.get(key), f"{path}.{key}")
    if isinstance(first, list) and isinstance(second, list):
        if len(first) != len(second):
            return f"{path or 'value'}: {len(first)} vs {len(second)} entries"
        for index, (a, b) in enumerate(zip(first, second, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{index}]")
    return f"{path.lstrip('.') or 'value'}: {first!r} vs {second!r}"
