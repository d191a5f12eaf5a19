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


@dataclass(frozen=True)
class SourceResult:
    """What one source gathered, how it fared, and the objects it found per kind."""

    facts: dict[str, Fact[Any]]
    state: SourceState
    objects: dict[str, list[str]] = field(default_factory=dict)


Collector = Callable[[Site, datetime], SourceResult]


def collect_sql(site: Site, now: datetime) -> SourceResult:
    """The site database source; a connection failure is every database fact's problem."""
    declared = sorted((site.settings.get("group_sync") or {}).keys())
    facts, db, problem, seconds = collect_site_db(
        site.connect_sql, site.settings.site_code, declared, now)
    state = SourceState(
        state="error" if problem else "ok", description=db.description if db else "",
        problem=problem, queries=db.queries if db else 0, seconds=round(seconds, 3))
    if problem is not None:
        facts = {name: Fact(source="sql", problem=problem) for name in FACT_NAMES}
    return SourceResult(facts, state)


COLLECTORS: dict[str, Collector] = {
    "sql": collect_sql,
    "mp": collect_mp,
}


def collect_snapshot(site: Site, now: datetime | None = None) -> SiteSnapshot:
    """Ask every configured source for its facts."""
    moment = now or datetime.now(timezone.utc)
    sources: dict[str, SourceState] = {}
    facts: dict[str, Any] = {}
    objects: dict[str, list[str]] = {}
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
                site.collected.setdefault(name, fact)
                facts.setdefault(name, fact.model_dump())
            for kind, found in result.objects.items():
                objects[kind] = sorted(set(objects.get(kind, [])) | set(found))
    return SiteSnapshot(
        site=site.settings.name, site_code=site.settings.site_code, collected_at=moment,
        sources=dict(sorted(sources.items())), facts=SiteFacts.model_validate(facts),
        objects=objects)
