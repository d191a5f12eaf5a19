"""The snapshot: everything collected about one site, versioned and JSON-serializable."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, ValidationError

from .facts import Model, Problem, SiteFacts

SNAPSHOT_SCHEMA_VERSION = 1

SourceStateName = Literal["ok", "error", "not-configured", "not-supported"]


class SourceState(Model):
    """How one source fared: what it was (never a secret), whether it answered, how long."""

    state: SourceStateName
    description: str = ""
    problem: Problem | None = None
    queries: int = 0
    seconds: float = 0.0


class SiteSnapshot(Model):
    """Facts about one site, the state of each source, and when they were collected.

    ``objects`` lists, per kind (``mp``, ``client``, ``server``), the objects that checks
    run once for each of, sorted: it decides the parametrization. ``disagreements`` says
    where two sources read the same fact differently.
    """

    schema_version: int = SNAPSHOT_SCHEMA_VERSION
    site: str
    site_code: str | None
    collected_at: datetime
    sources: dict[str, SourceState]
    facts: SiteFacts
    objects: dict[str, list[str]] = Field(default_factory=dict)
    disagreements: list[str] = Field(default_factory=list)

    def to_json(self) -> str:
        """Serialize to JSON text."""
        return self.model_dump_json(indent=1)


class SnapshotFormatError(ValueError):
    """A snapshot file that cannot be read."""


def load_snapshot(text: str, origin: str) -> SiteSnapshot:
    """Read a snapshot from JSON text; ``origin`` names it in errors.

    :raises SnapshotFormatError: on a newer or unknown schema version, or invalid content.
    """
    try:
        snapshot = SiteSnapshot.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise SnapshotFormatError(
            f"{origin}: not a pytest-cmaad snapshot ({where}: {first['msg']})"
        ) from None
    if snapshot.schema_version != SNAPSHOT_SCHEMA_VERSION:
        raise SnapshotFormatError(
            f"{origin}: snapshot schema version {snapshot.schema_version} is not supported "
            f"(this pytest-cmaad reads version {SNAPSHOT_SCHEMA_VERSION})"
        )
    return snapshot
