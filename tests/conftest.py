"""The plugin's own tests; ``helpers`` beside this file is importable from every test folder."""

from __future__ import annotations

import contextlib

from pytest_cmaad.lab.tds.driver import DriverUnavailable, driver18_available, ensure_driver18


def pytest_configure() -> None:
    """Register ODBC Driver 18 (when installed) before any test opens an ODBC connection:
    unixODBC reads its driver list once per process, and the TDS tests need the driver."""
    if driver18_available():
        with contextlib.suppress(DriverUnavailable):
            ensure_driver18()
