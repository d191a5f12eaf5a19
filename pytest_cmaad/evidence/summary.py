"""``summary.md``: a few lines per site for CI job summaries and chat."""

from __future__ import annotations

from typing import Any

from .results import OUTCOMES

MAX_LINES_PER_SITE = 20


def render_summary(document: dict[str, Any]) -> str:
    """Per site: counts by outcome, the chain, and one line per failed or undecided check."""
    run = document["run"]
    lines = ["# pytest-cmaad", ""]
    if run["partial"]:
        why = run["stopped_by"] or "not every test ran"
        lines += [f"**Partial run** ({why}; {len(run['not_reached'])} test(s) not reached).", ""]
    if run["replay"]:
        lines += [f"Replayed from `{run['replay']}`.", ""]
    for site in document["sites"]:
        counts = ", ".join(f"{n} {o}" for o, n in site["counts"].items() if n)
        lines.append(f"## {site['name']}: {counts or 'no results'}")
        chain = " → ".join(f"{s['step']} {s['name']} {_mark(s['status'])}" for s in site["steps"])
        lines += ["", chain, ""]
        mine = [r for r in document["results"] if r["site"] == site["name"]
                and r["outcome"] in ("failed", "error", "waived")]
        mine.sort(key=lambda r: (OUTCOMES.index(r["outcome"]), r["check_id"] or ""))
        for record in mine[:MAX_LINES_PER_SITE]:
            lines.append(f"- {_mark(record['outcome'])} {_line(record)}")
        if len(mine) > MAX_LINES_PER_SITE:
            lines.append(f"- … and {len(mine) - MAX_LINES_PER_SITE} more (see report.html)")
        if mine:
            lines.append("")
    waivers = document["waivers"]
    if waivers["expired"] or waivers["unused"]:
        lines.append(f"Waivers: {len(waivers['applied'])} applied, {len(waivers['expired'])} "
                     f"expired, {len(waivers['unused'])} unused.")
    return "\n".join(lines).rstrip() + "\n"


def _mark(outcome: str) -> str:
    return {"failed": "❌", "error": "⚠️", "waived": "🟡", "passed": "✅",
            "skipped": "⏭️"}.get(outcome, outcome)


def _line(record: dict[str, Any]) -> str:
    check = record["check_id"] or record["nodeid"]
    obj = f" ({record['object']})" if record["object"] else ""
    severity = f" [{record['severity']}]" if record["severity"] else ""
    message = (record["message"] or "").splitlines()[0] if record["message"] else ""
    if record["outcome"] == "waived" and record["waiver"]:
        message = f"waived: {record['waiver']['justification']} (expires " \
                  f"{record['waiver']['expires']})"
    return f"**{check}**{severity}{obj}: {message[:200]}"
