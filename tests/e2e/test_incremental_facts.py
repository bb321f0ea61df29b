"""The incremental daily facts: loading and building export day by export day gives exactly the
tables a full refresh builds from the same files.

Both warehouses start from the demo company's exports (tests/conftest.py). The day-by-day one loads
the raw tables and runs the incremental models one window at a time, the way daily_load and an
analyst's backfill do (the initial export day, two single days, then the rest in one range); the
other loads everything and runs ``--full-refresh``. The exports hold late arrivals: records
re-delivered on a later export day and versions superseded days after they were first exported.
The window reaches dbt as environment variables, the way daily_load passes it, and a new window
re-uses dbt's partial parse of the previous invocation instead of parsing the project again.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.assets.dbt import partition_window_environment
from orchestration.ingest import load_export_days
from orchestration.ingest.specs import SPECS_DIR, load_specs
from orchestration.settings import environment_set
from tests.conftest import E2E_END, E2E_FIRST_EXPORT
from tests.dbt_build import run_dbt

pytestmark = pytest.mark.slow

FACTS = {"fct_order_lines": "order_line_id", "fct_shipments": "delivery_id", "fct_inventory_daily": "inventory_snapshot_id"}
WINDOWS = [
    (E2E_FIRST_EXPORT, E2E_FIRST_EXPORT),
    (E2E_FIRST_EXPORT + timedelta(days=1), E2E_FIRST_EXPORT + timedelta(days=1)),
    (E2E_FIRST_EXPORT + timedelta(days=2), E2E_FIRST_EXPORT + timedelta(days=2)),
    (E2E_FIRST_EXPORT + timedelta(days=3), E2E_END),
]


def load_raw(home: Path, landing: Path, start: date, end: date) -> None:
    with duckdb.connect(str(home / "warehouse.duckdb")) as conn:
        for spec in load_specs(SPECS_DIR):
            load_export_days(conn, spec, landing, start, end)


def build_facts(home: Path, *arguments: str) -> str:
    """Run the daily facts; returns what this invocation wrote to dbt's log file."""
    log = home / "dbt_logs" / "dbt.log"
    logged_before = log.stat().st_size if log.exists() else 0
    run_dbt(home, "run", "--select", "tag:daily_partitioned", *arguments)
    with log.open(encoding="utf-8") as written:
        written.seek(logged_before)
        return written.read()


def facts(home: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        return {name: conn.execute(f"select * from marts.{name} order by {key}").df() for name, key in FACTS.items()}


@pytest.fixture(scope="module")
def day_by_day_run(demo_home: Path, tmp_path_factory) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The facts built window by window, and each window's dbt log."""
    home = tmp_path_factory.mktemp("day_by_day")
    logs = []
    for start, end in WINDOWS:
        load_raw(home, demo_home / "landing", start, end)
        with environment_set(partition_window_environment((start, end))):
            logs.append(build_facts(home))
    return facts(home), logs


@pytest.fixture(scope="module")
def day_by_day(day_by_day_run) -> dict[str, pd.DataFrame]:
    return day_by_day_run[0]


@pytest.fixture(scope="module")
def full_refresh(demo_home: Path, tmp_path_factory) -> dict[str, pd.DataFrame]:
    home = tmp_path_factory.mktemp("full_refresh")
    load_raw(home, demo_home / "landing", E2E_FIRST_EXPORT, E2E_END)
    build_facts(home, "--full-refresh")
    return facts(home)


@pytest.mark.parametrize("fact", sorted(FACTS))
def test_day_by_day_equals_full_refresh(day_by_day, full_refresh, fact: str) -> None:
    assert len(full_refresh[fact]) > 100
    pd.testing.assert_frame_equal(day_by_day[fact], full_refresh[fact])


def test_a_new_window_reuses_the_partial_parse(day_by_day_run) -> None:
    """The first invocation parses the project; every later one, each with another window, finds
    nothing to parse again (with the window as --vars each of them parsed everything)."""
    logs = day_by_day_run[1]
    assert "Unable to do partial parsing because saved manifest not found" in logs[0]
    for log in logs[1:]:
        assert "Partial parsing enabled, no changes found, skipping parsing" in log
        assert "Unable to do partial parsing" not in log


def test_a_malformed_window_stops_the_run_naming_the_variable(demo_home: Path, tmp_path: Path) -> None:
    load_raw(tmp_path, demo_home / "landing", E2E_FIRST_EXPORT, E2E_FIRST_EXPORT)
    build_facts(tmp_path)
    with environment_set({"SALESOPS_PARTITION_MIN_DATE": "2025-1-02", "SALESOPS_PARTITION_MAX_DATE": "2025-01-03"}):
        with pytest.raises(AssertionError, match="environment variable SALESOPS_PARTITION_MIN_DATE must be an export day as YYYY-MM-DD .*got '2025-1-02'"):
            build_facts(tmp_path)
    with environment_set({"SALESOPS_PARTITION_MIN_DATE": "2025-01-03", "SALESOPS_PARTITION_MAX_DATE": "2025-01-02"}):
        with pytest.raises(AssertionError, match="partition window is empty: SALESOPS_PARTITION_MIN_DATE 2025-01-03 is after SALESOPS_PARTITION_MAX_DATE 2025-01-02"):
            build_facts(tmp_path)
    with pytest.raises(AssertionError, match="no longer passed as --vars min_date / max_date"):
        build_facts(tmp_path, "--vars", '{"min_date": "2025-01-02", "max_date": "2025-01-02"}')


def test_the_exports_hold_late_arrivals(demo_home: Path) -> None:
    """What the test above relies on: some line versions were superseded after their first export day."""
    from tests.e2e.independent_kpis import read_export

    lines = read_export(demo_home / "landing", "erp", "sales_order_lines")
    versions = lines.groupby(["SALESORDERID", "SALESORDERITEM"])["_export_day"].nunique()
    assert (versions > 1).sum() > 10
