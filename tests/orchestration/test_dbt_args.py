"""What a run hands to dbt is computed by pure functions: the partition window as environment variables."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone

import dagster as dg

from orchestration.assets.dbt import partition_window_environment
from orchestration.partitions import window_dates
from orchestration.settings import environment_set


def test_partition_window_becomes_inclusive_environment_variables() -> None:
    window = dg.TimeWindow(datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 3, 8, tzinfo=timezone.utc))
    assert partition_window_environment(window_dates(window)) == {
        "SALESOPS_PARTITION_MIN_DATE": "2024-03-01",
        "SALESOPS_PARTITION_MAX_DATE": "2024-03-07",
    }


def test_single_day_window() -> None:
    assert window_dates(dg.TimeWindow(datetime(2024, 2, 29), datetime(2024, 3, 1))) == (date(2024, 2, 29), date(2024, 2, 29))


def test_the_window_is_set_for_the_block_only(monkeypatch) -> None:
    monkeypatch.setenv("SALESOPS_PARTITION_MIN_DATE", "2020-01-01")
    monkeypatch.delenv("SALESOPS_PARTITION_MAX_DATE", raising=False)
    with environment_set(partition_window_environment((date(2024, 3, 1), date(2024, 3, 2)))):
        assert (os.environ["SALESOPS_PARTITION_MIN_DATE"], os.environ["SALESOPS_PARTITION_MAX_DATE"]) == ("2024-03-01", "2024-03-02")
    assert os.environ["SALESOPS_PARTITION_MIN_DATE"] == "2020-01-01"
    assert "SALESOPS_PARTITION_MAX_DATE" not in os.environ
