"""State shared between hooks and fixtures, kept in pytest's stash."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field

import pytest

from .checks import Verdict
from .config import ConfigFile
from .sites import Site


@dataclass
class Run:
    """The sites selected for this pytest run, and the lab's scratch folder."""

    sites: dict[str, Site]
    config_file: ConfigFile | None
    builtin: bool
    scratch: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)


RUN_KEY = pytest.StashKey[Run]()
VERDICT_KEY = pytest.StashKey[Verdict]()
