"""What the TDS tests share besides fixtures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from pytest_cmaad.sources.sitedb.database import OdbcDatabase

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)

Connect = Callable[..., OdbcDatabase]
"""Opens the plugin's database connection to the test's endpoint: ``connect(encrypt="yes",
environment=None, query_timeout=30, **connection_string_extras)``."""
