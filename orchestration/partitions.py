"""The partitioning scheme shared by ingestion and the incremental facts, and the writer pool."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import dagster as dg

from orchestration.settings import history_start

# Every asset that writes to the DuckDB warehouse runs in this pool; dagster.yaml gives it limit 1
# because DuckDB allows one writer process at a time.
WAREHOUSE_POOL = "duckdb_warehouse"


def daily_export_partitions() -> dg.DailyPartitionsDefinition:
    """One partition per export day, from SALESOPS_HISTORY_START to yesterday (today's exports are not complete)."""
    return dg.DailyPartitionsDefinition(start_date=history_start(), timezone="UTC")


def window_dates(window: dg.TimeWindow) -> tuple[date, date]:
    """Inclusive first and last export day of a partition time window (whose end is exclusive)."""
    return window.start.date(), (window.end - timedelta(days=1)).date()


def as_partition_key(day: date | datetime) -> str:
    return day.strftime("%Y-%m-%d")
