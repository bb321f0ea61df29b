"""The incremental daily facts: loading and building export day by export day gives exactly the
tables a full refresh builds from the same files.

Both warehouses start from the demo company's exports (tests/conftest.py). The day-by-day one loads
the raw tables and runs the incremental models one window at a time, the way daily_load and an
analyst's backfill do (the initial export day, two single days, then the rest in one range); the
other loads everything and runs ``--full-refresh``. The exports hold late arrivals: records
re-delivered on a later export day and versions superseded days after they were first exported.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.ingest import load_export_days
from orchestration.ingest.specs import SPECS_DIR, load_specs
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


def build_facts(home: Path, *arguments: str) -> None:
    run_dbt(home, "run", "--select", "tag:daily_partitioned", *arguments)


def facts(home: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        return {name: conn.execute(f"select * from marts.{name} order by {key}").df() for name, key in FACTS.items()}


@pytest.fixture(scope="module")
def day_by_day(demo_home: Path, tmp_path_factory) -> dict[str, pd.DataFrame]:
    home = tmp_path_factory.mktemp("day_by_day")
    for start, end in WINDOWS:
        load_raw(home, demo_home / "landing", start, end)
        build_facts(home, "--vars", json.dumps({"min_date": start.isoformat(), "max_date": end.isoformat()}))
    return facts(home)


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


def test_the_exports_hold_late_arrivals(demo_home: Path) -> None:
    """What the test above relies on: some line versions were superseded after their first export day."""
    from tests.e2e.independent_kpis import read_export

    lines = read_export(demo_home / "landing", "erp", "sales_order_lines")
    versions = lines.groupby(["SALESORDERID", "SALESORDERITEM"])["_export_day"].nunique()
    assert (versions > 1).sum() > 10
