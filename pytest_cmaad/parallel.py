"""pytest-xdist: snapshots are collected once, on the controller, and shipped to the workers.

Every worker then builds its sites from the same snapshot set (as ``--cm-replay`` does), so
parametrization, which comes from the sorted snapshot, is identical on every worker, and no
worker builds a lab or contacts a source. This module's hooks are registered only when
pytest-xdist is installed.
"""

from __future__ import annotations

from typing import Any

import pytest

from .replay import dump_sites, load_sites
from .sites import Site
from .stash import RUN_KEY

WORKERINPUT_KEY = "cmaad_snapshot_set"


class XdistHooks:
    """The controller's half: collect each site's snapshot, put it in each worker's input."""

    def __init__(self) -> None:
        self._shipped: str | None = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Give the worker the snapshot set (collected here the first time)."""
        run = node.config.stash.get(RUN_KEY, None)
        if run is None:
            return
        if self._shipped is None:
            for site in run.sites.values():
                site.snapshot()
            # Workers evaluate in memory: settings travel unredacted, so custom suites'
            # fixtures (cm_sql) keep their connection strings; nothing here is written out.
            self._shipped = dump_sites(list(run.sites.values()), secrets=True)
        node.workerinput[WORKERINPUT_KEY] = self._shipped


def shipped_sites(config: pytest.Config) -> dict[str, Site] | None:
    """On a worker: the sites the controller shipped (None elsewhere)."""
    workerinput = getattr(config, "workerinput", None)
    if not workerinput or WORKERINPUT_KEY not in workerinput:
        return None
    return load_sites(str(workerinput[WORKERINPUT_KEY]), "the pytest-xdist controller")


def register_xdist(config: pytest.Config) -> None:
    """Register the controller hooks when pytest-xdist is active in this process."""
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(XdistHooks(), "cmaad-xdist")
