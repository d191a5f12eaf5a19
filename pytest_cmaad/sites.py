"""Selected sites: their settings, their lab (if any), and their snapshot, collected once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .config import SOURCES, SiteSettings
from .facts import SiteFacts
from .lab import LabSite
from .snapshot import SiteSnapshot, SourceState
from .sources.sitedb.collect import FACT_NAMES, collect_site_db
from .sources.sitedb.database import Database, OdbcDatabase

SUPPORTED_SOURCES = frozenset({"sql"})


@dataclass
class Site:
    """A site selected with ``--cm-site``.

    :param settings: its resolved settings.
    :param lab: the lab behind it, for ``lab`` sites.
    """

    settings: SiteSettings
    lab: LabSite | None = None
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


def collect_snapshot(site: Site, now: datetime | None = None) -> SiteSnapshot:
    """Ask every configured source for its facts."""
    moment = now or datetime.now(timezone.utc)
    settings = site.settings
    sources: dict[str, SourceState] = {}
    facts: dict[str, Any] = {}
    for source in SOURCES:
        if not settings.configured(source):
            sources[source] = SourceState(state="not-configured")
        elif source not in SUPPORTED_SOURCES:
            sources[source] = SourceState(state="not-supported")
    if settings.configured("sql"):
        declared = sorted((settings.get("group_sync") or {}).keys())
        found, db, problem, seconds = collect_site_db(
            site.connect_sql, settings.site_code, declared, moment)
        description = db.description if db else ""
        sources["sql"] = SourceState(
            state="error" if problem else "ok", description=description, problem=problem,
            queries=db.queries if db else 0, seconds=round(seconds, 3))
        if problem is not None:
            facts.update({name: {"source": "sql", "problem": problem.model_dump()}
                          for name in FACT_NAMES})
        else:
            facts.update({name: fact.model_dump() for name, fact in found.items()})
    return SiteSnapshot(
        site=settings.name, site_code=settings.site_code, collected_at=moment,
        sources=dict(sorted(sources.items())), facts=SiteFacts.model_validate(facts))
