"""Evaluators of the built-in checks (pure functions of a snapshot)."""

from __future__ import annotations

from . import communication, discovery, graph, hosts, mp, onboarding, registration, sync
from .registry import evaluate, registered_checks
from .verdict import Verdict, describe_failure

__all__ = [
    "Verdict",
    "communication",
    "describe_failure",
    "discovery",
    "evaluate",
    "graph",
    "hosts",
    "mp",
    "onboarding",
    "registered_checks",
    "registration",
    "sync",
]
