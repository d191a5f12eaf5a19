"""The evidence set written by ``--cm-evidence``, and the records it is built from."""

from __future__ import annotations

from .document import EVIDENCE_SCHEMA_VERSION, schema
from .results import ResultLog, ResultRecorder
from .writer import FILES, EvidenceWriter

__all__ = ["EVIDENCE_SCHEMA_VERSION", "FILES", "EvidenceWriter", "ResultLog", "ResultRecorder",
           "schema"]
