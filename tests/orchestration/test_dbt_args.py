"""The dbt command a run executes is computed by a pure function."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import dagster as dg

from orchestration.assets.dbt import dbt_build_args
from orchestration.partitions import window_dates


def test_unpartitioned_build_has_no_vars() -> None:
    assert dbt_build_args(None) == ["build"]


def test_partition_window_becomes_inclusive_vars() -> None:
    window = dg.TimeWindow(datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 3, 8, tzinfo=timezone.utc))
    args = dbt_build_args(window_dates(window))
    assert args[:2] == ["build", "--vars"]
    assert json.loads(args[2]) == {"min_date": "2024-03-01", "max_date": "2024-03-07"}


def test_single_day_window() -> None:
    assert window_dates(dg.TimeWindow(datetime(2024, 2, 29), datetime(2024, 3, 1))) == (date(2024, 2, 29), date(2024, 2, 29))
