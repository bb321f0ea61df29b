"""The incremental staging models and daily facts: loading and building export day by export day
gives exactly the tables a full refresh builds from the same files, and so does re-loading a day
from corrected files.

Both warehouses start from the demo company's exports (tests/conftest.py). The day-by-day one loads
the raw tables and runs the incremental models one window at a time, the way daily_load and an
analyst's backfill do (the initial export day, two single days, then the rest in one range); the
other loads everything and runs ``--full-refresh``. The exports hold late arrivals: records
re-delivered on a later export day and versions superseded days after they were first exported.
The window reaches dbt as environment variables, the way daily_load passes it, and a new window
re-uses dbt's partial parse of the previous invocation instead of parsing the project again.
"""

from __future__ import annotations

import csv
import shutil
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

# Every table the daily load builds, and the key its rows are compared in.
TABLES = {
    "marts.fct_order_lines": "order_line_id",
    "marts.fct_shipments": "delivery_id",
    "marts.fct_inventory_daily": "inventory_snapshot_id",
    "intermediate.int_opportunities__stage_history": "history_id",
    "staging.stg_crm__accounts": "account_id",
    "staging.stg_crm__contacts": "contact_id",
    "staging.stg_crm__opportunities": "opportunity_id",
    "staging.stg_crm__opportunity_history": "history_id",
    "staging.stg_crm__quotas": "quota_id",
    "staging.stg_crm__users": "user_id",
    "staging.stg_erp__capacity": "capacity_month, product_family",
    "staging.stg_erp__customers": "customer_id",
    "staging.stg_erp__deliveries": "delivery_id",
    "staging.stg_erp__inventory": "snapshot_date, product_id, warehouse_id",
    "staging.stg_erp__products": "product_id",
    "staging.stg_erp__sales_order_lines": "order_id, line_number",
    "staging.stg_erp__sales_orders": "order_id",
    "staging.stg_feedback__reviews": "review_id",
    "staging.stg_feedback__survey_responses": "response_id",
    "staging.stg_feedback__tickets": "ticket_id",
}
# The records the corrected-files test removes from one export day: (source, object, id column, table, key).
CORRECTED_EXPORTS = [
    ("crm", "accounts", "Id", "staging.stg_crm__accounts", "account_id"),
    ("erp", "deliveries", "DELIVERYID", "staging.stg_erp__deliveries", "delivery_id"),
]
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


def build_daily_models(home: Path, *arguments: str) -> str:
    """Run the daily load's models (staging and facts); returns what this invocation wrote to dbt's log file."""
    log = home / "dbt_logs" / "dbt.log"
    logged_before = log.stat().st_size if log.exists() else 0
    run_dbt(home, "run", "--select", "tag:daily_partitioned", *arguments)
    with log.open(encoding="utf-8") as written:
        written.seek(logged_before)
        return written.read()


def tables(home: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        return {name: conn.execute(f"select * from {name} order by {key}").df() for name, key in TABLES.items()}


@pytest.fixture(scope="module")
def day_by_day_run(demo_home: Path, tmp_path_factory) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The tables built window by window, and each window's dbt log."""
    home = tmp_path_factory.mktemp("day_by_day")
    logs = []
    for start, end in WINDOWS:
        load_raw(home, demo_home / "landing", start, end)
        with environment_set(partition_window_environment((start, end))):
            logs.append(build_daily_models(home))
    return tables(home), logs


@pytest.fixture(scope="module")
def day_by_day(day_by_day_run) -> dict[str, pd.DataFrame]:
    return day_by_day_run[0]


@pytest.fixture(scope="module")
def full_refresh(demo_home: Path, tmp_path_factory) -> dict[str, pd.DataFrame]:
    home = tmp_path_factory.mktemp("full_refresh")
    load_raw(home, demo_home / "landing", E2E_FIRST_EXPORT, E2E_END)
    build_daily_models(home, "--full-refresh")
    return tables(home)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_day_by_day_equals_full_refresh(day_by_day, full_refresh, table: str) -> None:
    assert len(full_refresh[table]) > 0
    pd.testing.assert_frame_equal(day_by_day[table], full_refresh[table])


def records_exported_once(landing: Path, source: str, obj: str, id_column: str) -> pd.Series:
    """The export day of every record id exported on one day only."""
    from tests.e2e.independent_kpis import read_export

    days = read_export(landing, source, obj).groupby(id_column)["_export_day"].unique()
    return days[days.map(len) == 1].map(lambda exported: exported[0])


def lost_records(landing: Path) -> tuple[date, dict[tuple[str, str, str, str, str], str]]:
    """The first export day after the initial one on which every object of CORRECTED_EXPORTS holds
    a record exported on that day only, and one such record id per object."""
    once = {export: records_exported_once(landing, *export[:3]) for export in CORRECTED_EXPORTS}
    days = sorted(set.intersection(*(set(exported) for exported in once.values())) - {E2E_FIRST_EXPORT.isoformat()})
    assert days, "no export day holds a record of every corrected object exported that day only"
    day = days[0]
    return date.fromisoformat(day), {export: str(exported[exported == day].index[0]) for export, exported in once.items()}


def remove_record(csv_path: Path, id_column: str, record_id: str) -> None:
    """Rewrite an export file without the one line holding ``record_id`` (every other byte kept)."""
    lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
    position = next(csv.reader(lines[:1])).index(id_column)
    kept = [line for line in lines if next(csv.reader([line]))[position] != record_id]
    assert len(kept) == len(lines) - 1, f"{csv_path} holds {record_id} on {len(lines) - len(kept)} lines"
    csv_path.write_text("".join(kept), encoding="utf-8")


def test_reloading_a_corrected_day_equals_a_full_refresh_of_the_corrected_files(demo_home: Path, tmp_path_factory) -> None:
    """A day re-loaded from corrected files without some records: the records exported only that
    day disappear from staging (and the shipments) and every table equals a full refresh of the
    corrected files. A plain delete+insert on the unique key keeps the lost records."""
    corrected = tmp_path_factory.mktemp("corrected") / "landing"
    shutil.copytree(demo_home / "landing", corrected)
    day, lost = lost_records(corrected)
    for (source, obj, id_column, _, _), record_id in lost.items():
        (export_file,) = (corrected / source / obj / day.isoformat()).glob("*.csv")
        remove_record(export_file, id_column, record_id)

    reloaded = tmp_path_factory.mktemp("reloaded")
    load_raw(reloaded, demo_home / "landing", E2E_FIRST_EXPORT, E2E_END)
    build_daily_models(reloaded)
    load_raw(reloaded, corrected, day, day)
    with environment_set(partition_window_environment((day, day))):
        build_daily_models(reloaded)

    refreshed = tmp_path_factory.mktemp("refreshed")
    load_raw(refreshed, corrected, E2E_FIRST_EXPORT, E2E_END)
    build_daily_models(refreshed, "--full-refresh")

    reloaded_tables, refreshed_tables = tables(reloaded), tables(refreshed)
    for (_, _, _, table, key), record_id in lost.items():
        assert record_id not in set(reloaded_tables[table][key])
    for table in TABLES:
        pd.testing.assert_frame_equal(reloaded_tables[table], refreshed_tables[table], obj=table)


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
    build_daily_models(tmp_path)
    with environment_set({"SALESOPS_PARTITION_MIN_DATE": "2025-1-02", "SALESOPS_PARTITION_MAX_DATE": "2025-01-03"}):
        with pytest.raises(AssertionError, match="environment variable SALESOPS_PARTITION_MIN_DATE must be an export day as YYYY-MM-DD .*got '2025-1-02'"):
            build_daily_models(tmp_path)
    with environment_set({"SALESOPS_PARTITION_MIN_DATE": "2025-01-03", "SALESOPS_PARTITION_MAX_DATE": "2025-01-02"}):
        with pytest.raises(AssertionError, match="partition window is empty: SALESOPS_PARTITION_MIN_DATE 2025-01-03 is after SALESOPS_PARTITION_MAX_DATE 2025-01-02"):
            build_daily_models(tmp_path)
    with pytest.raises(AssertionError, match="no longer passed as --vars min_date / max_date"):
        build_daily_models(tmp_path, "--vars", '{"min_date": "2025-01-02", "max_date": "2025-01-02"}')


def test_the_exports_hold_late_arrivals(demo_home: Path) -> None:
    """What the test above relies on: some line versions were superseded after their first export day."""
    from tests.e2e.independent_kpis import read_export

    lines = read_export(demo_home / "landing", "erp", "sales_order_lines")
    versions = lines.groupby(["SALESORDERID", "SALESORDERITEM"])["_export_day"].nunique()
    assert (versions > 1).sum() > 10
