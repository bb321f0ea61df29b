"""The ratios of issue 7, results.json's schema and the generated table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.ratios import incremental_ratio, ingest_memory_ratio_vs_pandas, ingest_speedup_vs_pandas, ratio_floor
from bench.results import TABLE_END, TABLE_START, merge_results, results_table, validate_scale, write_table
from bench.scales import SCALES, parse_scales


def entry(order_lines: int = 10_335) -> dict:
    return {
        "demo_scale": 0.1, "order_lines": order_lines, "raw_rows": {"erp__sales_order_lines": 11_000}, "export_days": 61,
        "full_pipeline_s": 240.0, "stages_s": {"ingest": 60.0, "dbt": 120.0, "ml": 5.0, "checks": 10.0, "publish": None},
        "other_s": 45.0, "peak_rss_mb": 812.4, "incremental_s": 150.0,
        "incremental_stages_s": {"ingest": 6.0, "dbt": 110.0, "ml": 5.0, "checks": 10.0, "publish": None},
        "incremental_peak_rss_mb": 700.0, "floor_s": 3.2, "floor_detail": {"ingest_s": 1.0, "sql_s": 2.0},
        "ours_ingest_s": 50.0, "ours_ingest_peak_rss_mb": 400.0, "pandas_ingest_s": 20.0, "pandas_ingest_peak_rss_mb": 300.0,
        "ratio_floor": 75.0, "ingest_speedup_vs_pandas": 0.4, "ingest_memory_ratio_vs_pandas": 1.333, "incremental_ratio": 0.625,
        "measured_at": "2026-12-01T04:30:00+00:00",
    }


def test_ratios_are_the_quotients_the_issue_defines() -> None:
    assert ratio_floor(240.0, 3.2) == 75.0
    assert ingest_speedup_vs_pandas(ours_s=50.0, pandas_s=20.0) == 0.4
    assert ingest_speedup_vs_pandas(ours_s=4.0, pandas_s=20.0) == 5.0
    assert ingest_memory_ratio_vs_pandas(ours_mb=400.0, pandas_mb=300.0) == 1.333
    assert incremental_ratio(one_day_s=150.0, full_s=240.0) == 0.625
    assert ratio_floor(1.0, 0.0) is None


def test_scale_names_map_to_demo_scales_and_unknown_ones_are_named() -> None:
    assert parse_scales("") == ["100k", "1m", "10m"]
    assert parse_scales("1m") == ["1m"]
    assert parse_scales("10k, 100k") == ["10k", "100k"]
    assert [SCALES[n] for n in ("10k", "100k", "1m", "10m")] == [0.1, 1.0, 10.0, 100.0]
    with pytest.raises(ValueError, match="unknown scale 5m"):
        parse_scales("1m 5m")


def test_a_complete_entry_validates_and_a_missing_or_mistyped_field_is_named() -> None:
    validate_scale("10k", entry())
    broken = entry()
    del broken["incremental_ratio"]
    with pytest.raises(ValueError, match=r"scales\.10k: missing 'incremental_ratio'"):
        validate_scale("10k", broken)
    with pytest.raises(ValueError, match=r"scales\.10k\.peak_rss_mb: expected int/float"):
        validate_scale("10k", {**entry(), "peak_rss_mb": "812"})
    with pytest.raises(ValueError, match=r"scales\.10k\.stages_s: expected the stages"):
        validate_scale("10k", {**entry(), "stages_s": {"ingest": 1.0}})


def test_results_keep_scales_not_re_run_and_the_doc_table_is_regenerated(tmp_path: Path) -> None:
    results_path, doc = tmp_path / "results.json", tmp_path / "benchmarks.md"
    merge_results(results_path, {"1m": entry(1_000_000)})
    results = merge_results(results_path, {"10k": entry()})
    assert list(json.loads(results_path.read_text())["scales"]) == ["1m", "10k"]
    doc.write_text(f"# Benchmarks\n\n{TABLE_START}\nold\n{TABLE_END}\n\n## Method\n")
    write_table(doc, results)
    lines = doc.read_text().splitlines()
    assert lines[0] == "# Benchmarks" and lines[-1] == "## Method" and "old" not in lines
    rows = [line for line in lines if line.startswith("| 10k") or line.startswith("| 1m")]
    assert rows[0] == "| 10k | 10,335 | 240.0 | 60.0 | 120.0 | 5.0 | 10.0 | – | 45.0 | 812 | 150.0 | 3.2 | 75.00 | 0.40 | 1.33 | 0.62 |"
    assert rows[1].startswith("| 1m | 1,000,000 |")
    assert results_table(results).count("\n") == 3  # header, rule, two scales
