"""``report.html``: one self-contained page rendered with jinja2 (no network fetches)."""

from __future__ import annotations

from typing import Any

import jinja2

from .results import OUTCOMES

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("pytest_cmaad.evidence", "templates"),
    autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render_html(document: dict[str, Any]) -> str:
    """The report page: each site's chain, then results failures first, with filters."""
    results = sorted(document["results"], key=lambda r: (
        OUTCOMES.index(r["outcome"]), r["site"] or "", r["check_id"] or r["nodeid"],
        r["object"] or ""))

    def values(key: str) -> list[str]:
        return sorted({str(r[key]) for r in results if r[key]})

    filters = [("site", "site", [s["name"] for s in document["sites"]]),
               ("step", "step", [s for s in ("onboarding", "discovery", "site data",
                                             "client token", "registration", "sync")
                                 if s in values("step_name")]),
               ("severity", "severity", [s for s in ("critical", "high", "medium", "low")
                                         if s in values("severity")]),
               ("outcome", "outcome", [o for o in OUTCOMES if o in values("outcome")])]
    template = _ENV.get_template("report.html.j2")
    return template.render(tool=document["tool"], run=document["run"], sites=document["sites"],
                           waivers=document["waivers"], results=results, filters=filters)
