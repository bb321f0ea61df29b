"""The partitioning scheme shared by ingestion and the incremental facts, and the writer pool."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

import dagster as dg

from orchestration.ingest.files import landing_range
from orchestration.ingest.specs import load_specs
from orchestration.settings import HISTORY_START_VARIABLE, salesops_paths

# Every asset that writes to the DuckDB warehouse runs in this pool; dagster.yaml gives it limit 1
# because DuckDB allows one writer process at a time.
WAREHOUSE_POOL = "duckdb_warehouse"

# The raw tables are loaded every morning (daily_load_schedule, 06:00 UTC): a raw table whose last
# load is more than 26 hours old is late (warn), more than 30 hours old stale (fail). Shown on every
# raw asset in the UI; the daemon evaluates it (docs/operations.md, "Freshness").
RAW_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=30), warn_window=timedelta(hours=26))


# The first partition when neither the variable nor any export folder says otherwise.
DEFAULT_FIRST_EXPORT_DAY = "2023-01-01"


def daily_export_partitions() -> dg.DailyPartitionsDefinition:
    """One partition per export day, from the first one to yesterday (today's exports are not complete)."""
    return dg.DailyPartitionsDefinition(start_date=first_export_day(), timezone="UTC")


def first_export_day() -> str:
    """The first daily partition: $SALESOPS_HISTORY_START when set (what a deployment should do), else
    the first export day found in the landing area, else 2023-01-01.

    Read when the definitions load: export folders of days before it that arrive later are seen
    after the code location reloads.
    """
    if configured := os.environ.get(HISTORY_START_VARIABLE):
        return configured
    found = landing_range(salesops_paths().landing, load_specs())
    return as_partition_key(found[0]) if found else DEFAULT_FIRST_EXPORT_DAY


def window_dates(window: dg.TimeWindow) -> tuple[date, date]:
    """Inclusive first and last export day of a partition time window (whose end is exclusive)."""
    return window.start.date(), (window.end - timedelta(days=1)).date()


def as_partition_key(day: date | datetime) -> str:
    return day.strftime("%Y-%m-%d")
