"""pytest-cmaad: validate a Configuration Manager site's collection sync to Entra ID groups."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
