"""Ingestion of export files into the warehouse's ``raw`` schema, driven by declarative source specs.

Plain Python over DuckDB's native readers; the Dagster assets in ``orchestration.assets.ingest``
only call :func:`load_export_days`.
"""

from orchestration.ingest.loader import FileLoad, LoadResult, load_export_days
from orchestration.ingest.specs import ColumnSpec, FormatSpec, SourceSpec, SpecError, load_specs

__all__ = [
    "ColumnSpec",
    "FileLoad",
    "FormatSpec",
    "LoadResult",
    "SourceSpec",
    "SpecError",
    "load_export_days",
    "load_specs",
]
