"""What an ingestion step reports about the export days it has just loaded, computed in DuckDB.

The spec check (the spec's rules as data-quality rules, every breaking row counted), the row count
and a preview come from SQL over the raw table: the loaded rows are never copied into Python, so
an ingestion step's memory does not grow with the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from data_quality import QualityReport, check_rows
from data_quality.suites.raw import raw_table_rules
from orchestration.ingest.bookkeeping import RAW_SCHEMA
from orchestration.ingest.specs import SourceSpec
from orchestration.ingest.sql import quote_identifier

if TYPE_CHECKING:
    import pandas as pd

BOOKKEEPING_COLUMNS = ("_source_file", "_loaded_at")  # not shown or checked: they say where a row came from
IN_EXPORT_DAYS = "_export_date between ? and ?"


@dataclass(frozen=True)
class LoadedDays:
    """The rows of export days [start, end] after a load: the spec check's report (with their count) and a preview."""

    report: QualityReport
    preview: pd.DataFrame | None = None

    @property
    def rows(self) -> int:
        return self.report.rows


def spec_rules(spec: SourceSpec) -> list:
    """The spec's rules on loaded rows: its columns present, required values, ranges and value lists."""
    return raw_table_rules(
        columns=[c.name for c in spec.columns],
        required=[c.name for c in spec.required_columns],
        ranges={c.name: c.value_range for c in spec.columns if c.value_range},
        allowed_values={c.name: c.allowed_values for c in spec.columns if c.allowed_values},
    )


def examine_loaded_days(
    conn: duckdb.DuckDBPyConnection, spec: SourceSpec, start: date, end: date, preview_rows: int = 0
) -> LoadedDays:
    """Check the spec's rules on the raw rows of export days [start, end]; with ``preview_rows``, the first of them too."""
    table = f"{RAW_SCHEMA}.{quote_identifier(spec.table_name)}"
    report = check_rows(conn, table, IN_EXPORT_DAYS, [start, end], f"raw.{spec.table_name}", spec_rules(spec), BOOKKEEPING_COLUMNS)
    preview = None
    if preview_rows:
        hidden = ", ".join(BOOKKEEPING_COLUMNS)
        preview = conn.execute(
            f"select * exclude ({hidden}) from {table} where {IN_EXPORT_DAYS} order by rowid limit {int(preview_rows)}", [start, end]
        ).df()
    return LoadedDays(report, preview)
