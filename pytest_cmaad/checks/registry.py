"""Evaluators of the built-in checks, and the gate that runs them over a snapshot.

An evaluator is a pure function of a snapshot: the same snapshot always gives the same verdict.
The gate decides, before an evaluator runs, whether its facts are there: a source that is not
configured skips the check with a typed reason, a fact a source could not read makes it an
error naming the source and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from ..catalog import Check, get_check
from ..config import SiteSettings
from ..facts import Fact, Offenders
from ..snapshot import SiteSnapshot
from .verdict import Outcome, Verdict

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    """What an evaluator sees: the check, the site's settings and snapshot, and the time."""

    check: Check
    settings: SiteSettings
    snapshot: SiteSnapshot
    object: str | None = None

    @property
    def now(self) -> datetime:
        """The collection time: verdicts are relative to it, so a replay gives the same ones."""
        return self.snapshot.collected_at

    def fact(self, name: str) -> Any:
        """The value of a fact the gate has already checked."""
        fact: Fact[Any] = getattr(self.snapshot.facts, name)
        return fact.value

    def expect(self, key: str) -> Any:
        """An expectation from the profile (``[sites.NAME.expect]``)."""
        return self.settings.get(key)

    def _verdict(self, outcome: Outcome, message: str, **extra: Any) -> Verdict:
        return Verdict(check_id=self.check.id, site=self.settings.name,
                       object=self.object, outcome=outcome, message=message,
                       source=self._source(), **extra)

    def passed(self, message: str, observed: Mapping[str, Any]) -> Verdict:
        """The prerequisite holds."""
        return self._verdict("passed", message, observed=dict(observed))

    def failed(self, message: str, observed: Mapping[str, Any],
               offenders: Offenders | None = None) -> Verdict:
        """The prerequisite does not hold."""
        return self._verdict("failed", message, offenders=offenders, observed=dict(observed))

    def without_tenant(self) -> Verdict | None:
        """A skip when no tenant is onboarded: checks of a tenant's settings depend on one."""
        if self.fact("tenants"):
            return None
        return self.nothing_to_check("no tenant is onboarded (see CMAAD-101)")

    def nothing_to_check(self, message: str) -> Verdict:
        """Nothing to decide: skipped, never a silent pass."""
        return self._verdict("skipped", f"nothing-to-check: {message}", reason="nothing-to-check")

    def not_applicable(self, message: str) -> Verdict:
        """The check is not about this object (e.g. a site system without that role)."""
        return self._verdict("skipped", f"not-applicable: {message}", reason="not-applicable")

    def undecided(self, message: str, observed: Mapping[str, Any]) -> Verdict:
        """The facts are there but do not allow a decision: an error."""
        return self._verdict("error", message, observed=dict(observed))

    def _source(self) -> str | None:
        for name in _EVALUATORS[self.check.id].needs:
            fact = getattr(self.snapshot.facts, name)
            if fact is not None:
                return str(fact.source)
        return None


Evaluate = Callable[[Context], Verdict]
OBJECT_NAMES = {"site": "site", "mp": "management point", "client": "sampled client",
                "server": "site system", "group": "target group"}


@dataclass(frozen=True)
class Evaluator:
    """A registered evaluator and the facts it needs."""

    check_id: str
    needs: tuple[str, ...]
    evaluate: Evaluate


_EVALUATORS: dict[str, Evaluator] = {}


def evaluator(check_id: str, *needs: str) -> Callable[[Evaluate], Evaluate]:
    """Register ``function`` as the evaluator of ``check_id``, reading the facts ``needs``."""
    get_check(check_id)

    def register(function: Evaluate) -> Evaluate:
        _EVALUATORS[check_id] = Evaluator(check_id, needs, function)
        return function

    return register


def evaluate(check_id: str, settings: SiteSettings, snapshot: SiteSnapshot,
             obj: str | None = None) -> Verdict:
    """Decide ``check_id`` for one site (and one object of a per-object check).

    Skips when the source is not configured, errors on a fact its source could not read,
    otherwise returns the evaluator's verdict.
    """
    check = get_check(check_id)
    context = Context(check, settings, snapshot, obj)
    registered = _EVALUATORS.get(check_id)
    blocked = _source_gate(check, settings, snapshot, registered)
    if blocked is not None:
        return blocked.model_copy(update={"object": obj})
    assert registered is not None
    for name in registered.needs:
        fact = getattr(snapshot.facts, name)
        if fact is None:
            return _skip_unconfigured(check, settings, check.sources[0])
        if fact.problem is not None:
            return Verdict(check_id=check.id, site=settings.name, object=obj, outcome="error",
                           message=fact.problem.message, source=fact.source,
                           reason=f"source-error:{fact.source}")
    if check.per != "site" and obj is None:
        return context.nothing_to_check(f"the site has no {OBJECT_NAMES[check.per]} to check")
    return registered.evaluate(context)


def _source_gate(check: Check, settings: SiteSettings, snapshot: SiteSnapshot,
                 registered: Evaluator | None) -> Verdict | None:
    configured = [s for s in check.sources if settings.configured(s)]
    if not configured:
        return _skip_unconfigured(check, settings, check.sources[0])
    states = {s: snapshot.sources[s].state for s in configured if s in snapshot.sources}
    usable = [s for s, state in states.items() if state in ("ok", "error")]
    if registered is None or not usable:
        source = configured[0]
        return Verdict(
            check_id=check.id, site=settings.name, outcome="skipped",
            reason=f"source-not-supported:{source}",
            message=f"source-not-supported:{source}: this version of pytest-cmaad cannot decide "
                    f"{check.id} from {source}")
    return None


def _skip_unconfigured(check: Check, settings: SiteSettings, source: str) -> Verdict:
    return Verdict(
        check_id=check.id, site=settings.name, outcome="skipped",
        reason=f"source-not-configured:{source}",
        message=f"source-not-configured:{source}: {settings.source_key_hint(source)}")


def registered_checks() -> list[str]:
    """The ids of the checks that have an evaluator."""
    return sorted(_EVALUATORS)
