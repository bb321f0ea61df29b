"""The three ratios of issue 7, each a quotient of two measurements taken in the same `make bench` run."""

from __future__ import annotations


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(numerator / denominator, 3)


def ratio_floor(pipeline_s: float, floor_s: float) -> float | None:
    """Full pipeline wall time ÷ the floor's (same dbt SQL in one DuckDB connection + bare read_csv ingestion); 1 is the floor."""
    return _ratio(pipeline_s, floor_s)


def ingest_speedup_vs_pandas(ours_s: float, pandas_s: float) -> float | None:
    """How many times faster our ingestion is than pandas read_csv through DuckDBPandasIOManager (> 1: faster)."""
    return _ratio(pandas_s, ours_s)


def ingest_memory_ratio_vs_pandas(ours_mb: float, pandas_mb: float) -> float | None:
    """Our ingestion's peak memory ÷ the pandas alternative's (< 1: less memory)."""
    return _ratio(ours_mb, pandas_mb)


def incremental_ratio(one_day_s: float, full_s: float) -> float | None:
    """The one-day incremental run's wall time ÷ the full build's, at three years of history."""
    return _ratio(one_day_s, full_s)
