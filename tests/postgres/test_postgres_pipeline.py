"""The whole pipeline on PostgreSQL: the same exports, the same dbt project, the same numbers as DuckDB.

One tiny demo company (a few months, scale 0.02) runs once through the Dagster jobs with the
profile switch ``SALESOPS_DBT_TARGET=postgres`` (COPY ingestion, dbt build with every dbt test,
forecast, checks, S&OP and bi). The same export files are then built on DuckDB without Dagster
(ingestion, the forecast tables PostgreSQL got, one dbt build without tests), and every raw,
mart, bi and snapshot table must hold the same rows on both engines, numbers rounded to cents.
"""

from __future__ import annotations

import csv
import math
import time
import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from orchestration.ingest import load_specs
from orchestration.ingest.files import landing_range
from orchestration.postgres import PostgresWarehouse, connect
from orchestration.settings import salesops_paths
from orchestration.warehouse import DuckDBWarehouse, FrameWrite
from tests.dbt_build import run_dbt

pytestmark = pytest.mark.postgres

TINY_COMPANY = {"seed": 11, "scale": 0.02, "start": date(2024, 7, 1), "end": date(2025, 1, 31), "first_export": date(2025, 1, 27)}
# Columns that say when or by which run a row was written, not what it holds.
BUILD_COLUMNS = {"_loaded_at", "load_id", "loaded_at", "rejected_at", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"}
CENTS = 2


@pytest.fixture(scope="module")
def engines(postgres_database, tmp_path_factory: pytest.TempPathFactory):
    """The pipeline run on PostgreSQL through Dagster, and the same exports built on DuckDB."""
    from demo_company import DemoConfig, generate
    from orchestration.run import PLANNED_EVENTS_AS_RANGES, run_pipeline

    pg_home = tmp_path_factory.mktemp("pg_home")
    generate(pg_home, DemoConfig(**TINY_COMPANY))
    _add_a_bad_record(pg_home / "landing" / "erp" / "sales_order_lines")
    pg_paths = salesops_paths(pg_home)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SALESOPS_HOME", str(pg_home))
        env.setenv("SALESOPS_DBT_TARGET", "postgres")
        env.setenv("SALESOPS_PG_DATABASE", postgres_database.database)
        env.setenv(PLANNED_EVENTS_AS_RANGES, "true")
        started = time.monotonic()
        _parse_for_this_database()
        load, build = run_pipeline(pg_paths, dg.DagsterInstance.ephemeral())
        print(f"pipeline on PostgreSQL: {time.monotonic() - started:.1f} s")
    postgres = PostgresWarehouse(postgres_database)

    started = time.monotonic()
    duck_home = tmp_path_factory.mktemp("duck_home")
    duck = DuckDBWarehouse(salesops_paths(duck_home).warehouse)
    specs = load_specs()
    first, last = landing_range(pg_paths.landing, specs)
    for spec in specs:  # the very files PostgreSQL loaded: same _source_file on both sides
        duck.load_export_days(spec, pg_paths.landing, first, last, duck_home / "quarantine")
    ml_tables = _relations(postgres, ("ml",))  # the ML results are not under test here: take PostgreSQL's
    duck.write_frames([FrameWrite("ml", relation.split(".")[1], postgres.read_frame(f"select * from {relation}")) for relation in ml_tables])
    run_dbt(duck_home, "build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    print(f"DuckDB build of the same exports: {time.monotonic() - started:.1f} s")
    return {"load": load, "build": build, "postgres": postgres, "duckdb": duck, "landing": pg_paths.landing, "days": (first, last)}


def _parse_for_this_database() -> None:
    """Parse the project for the postgres target with this module's database: dbt keeps a partial
    parse only for the profile it was made with, and the pipeline's three dbt runs reuse this one."""
    from orchestration.assets.dbt import dbt_resource, salesops_dbt_project

    project = salesops_dbt_project()
    dbt_resource().cli(["parse", "--quiet"], target_path=project.target_path).wait()


def _add_a_bad_record(folder: Path) -> None:
    """One order line with a quantity that is no number, appended to the first export file: a rejected row."""
    export = sorted(folder.glob("*/*.csv"))[0]
    with export.open(newline="") as handle:
        rows = list(csv.reader(handle))
    bad = list(rows[-1])
    bad[rows[0].index("QUANTITY")] = "many"
    ending = "\r\n" if b"\r\n" in export.read_bytes() else "\n"
    with export.open("a", newline="") as handle:
        csv.writer(handle, lineterminator=ending).writerow(bad)


def test_pipeline_succeeds_on_postgres_with_every_dbt_test_and_check(engines) -> None:
    load, build = engines["load"], engines["build"]
    assert load.success and build.success
    checks = [(e.asset_key.to_user_string(), e.check_name, e.passed) for r in (load, build) for e in r.get_asset_check_evaluations()]
    # warnings expected of a tiny, young company: seven months leave no room for a forecast backtest,
    # too few deals closed to validate win probability; the record with a bad quantity is rejected
    assert sorted(c for c in checks if not c[2]) == [
        ("ml/ml_forecast_accuracy", "beats_seasonal_naive", False),
        ("ml/ml_win_probability_calibration", "beats_crm_stage_probability", False),
        ("raw/erp__sales_order_lines", "no_rejected_records", False),
    ]
    assert {name for _, name, _ in checks} >= {"kpi_expectations", "rows_meet_spec_rules", "no_rejected_records"}
    built = {e.asset_key.to_user_string() for e in build.get_asset_materialization_events()}
    assert {"marts/kpi_sop_monthly", "bi/sop_monthly", "ml/ml_demand_forecast", "snapshots/snp_crm__opportunities"} <= built


def _relations(warehouse, schemas: tuple[str, ...]) -> list[str]:
    names = warehouse.read_frame(
        "select table_schema || '.' || table_name as relation from information_schema.tables "
        f"where table_schema in ({', '.join(repr(s) for s in schemas)}) order by 1"
    )
    return list(names["relation"])


def _plain(value):
    """One engine-independent spelling of a value: NULL as None, numbers rounded to cents, times as ISO text."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, Decimal, np.integer, np.floating)):
        return round(float(value), CENTS) + 0.0  # + 0.0: -0.0 and 0.0 are one value
    if isinstance(value, (date, pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).isoformat()
    return str(value)


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without build columns, every value in its plain spelling, columns and rows sorted."""
    columns = sorted(c for c in frame.columns if c not in BUILD_COLUMNS)
    rows = sorted((tuple(_plain(v) for v in row) for row in frame[columns].itertuples(index=False, name=None)), key=repr)
    return pd.DataFrame(rows, columns=columns, dtype=object)


@pytest.mark.parametrize("schemas", [("raw",), ("marts", "bi"), ("snapshots", "intermediate")], ids=["raw", "marts_bi", "snapshots_intermediate"])
def test_every_table_holds_the_same_rows_on_postgres_and_duckdb(engines, schemas) -> None:
    postgres, duck = engines["postgres"], engines["duckdb"]
    relations = _relations(duck, schemas)
    assert relations == _relations(postgres, schemas)
    assert len(relations) >= {"raw": 18, "marts": 20, "snapshots": 10}[schemas[0]]
    compared = {}
    for relation in relations:
        expected = _comparable(duck.read_frame(f"select * from {relation}"))
        actual = _comparable(postgres.read_frame(f"select * from {relation}"))
        pd.testing.assert_frame_equal(actual, expected, check_dtype=False, obj=relation)
        compared[relation] = len(expected)
    # a young warehouse scores no forecast yet; everything else must hold rows, or equality proves nothing
    empty = {relation for relation, rows in compared.items() if not rows}
    assert empty <= {"marts.kpi_forecast_accuracy", "bi.forecast_accuracy"}


def _raw_state(warehouse: PostgresWarehouse, table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = warehouse.read_frame(f"select * from raw.{table} order by user_id, _export_date, _loaded_at")
    manifest = warehouse.read_frame(
        f"select * from raw._load_manifest where source || '__' || object = '{table}' order by loaded_at, source_file"
    )
    return rows, manifest


def test_copy_load_is_idempotent(engines) -> None:
    postgres = engines["postgres"]
    spec = next(s for s in load_specs() if s.table_name == "crm__users")
    first, last = engines["days"]
    rows_before, manifest_before = _raw_state(postgres, spec.table_name)
    result, loaded = postgres.load_export_days(spec, engines["landing"], first, last, None)
    rows_after, manifest_after = _raw_state(postgres, spec.table_name)
    columns = [c for c in rows_before.columns if c != "_loaded_at"]
    pd.testing.assert_frame_equal(rows_after[columns], rows_before[columns])
    assert len(rows_after) == result.rows_loaded == loaded.rows > 0
    again = manifest_after[manifest_after["load_id"] == result.load_id]
    assert len(manifest_after) == len(manifest_before) + len(again)
    first_load = manifest_before[manifest_before["status"] == "loaded"].groupby("source_file")["rows_loaded"].sum()
    assert again.set_index("source_file")["rows_loaded"].sort_index().to_dict() == first_load.sort_index().to_dict()


def test_a_copy_load_that_fails_leaves_postgres_as_it_was(engines, postgres_database) -> None:
    postgres = engines["postgres"]
    spec = next(s for s in load_specs() if s.table_name == "crm__users")
    first, last = engines["days"]
    rows_before, manifest_before = _raw_state(postgres, spec.table_name)
    refused_day = rows_before["_export_date"].max().date()
    with connect(postgres_database) as pg:  # a constraint the rows of one export day break: COPY fails midway
        pg.execute(f"alter table raw.{spec.table_name} add constraint refuse_day check (_export_date <> date '{refused_day}') not valid")
    try:
        with pytest.raises(Exception, match="refuse_day"):
            postgres.load_export_days(spec, engines["landing"], first, last, None)
        rows_after, manifest_after = _raw_state(postgres, spec.table_name)
        pd.testing.assert_frame_equal(rows_after, rows_before)
        pd.testing.assert_frame_equal(manifest_after, manifest_before)
    finally:
        with connect(postgres_database) as pg:
            pg.execute(f"alter table raw.{spec.table_name} drop constraint refuse_day")


def test_bi_reader_role_reads_the_bi_views_and_nothing_else(engines, postgres_database) -> None:
    import psycopg

    from orchestration.postgres_publication import reader_role

    assert "bi/postgres_publication" in {e.asset_key.to_user_string() for e in engines["build"].get_asset_materialization_events()}
    login, password = f"bi_tool_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with connect(postgres_database) as owner:
        owner.execute(f'create role "{login}" login password \'{password}\' in role "{reader_role()}"')
        bookings = owner.execute("select count(*), sum(bookings_amount) from marts.kpi_sales_monthly").fetchone()
    tool = replace(postgres_database, user=login, password=password)
    try:
        with connect(tool) as conn:
            assert conn.execute("select count(*), sum(bookings_amount) from bi.sales_monthly").fetchone() == bookings
        for statement in (
            "delete from bi.products",
            "update bi.sales_reps set territory = 'x'",
            "create table bi.scratch (a integer)",
            "select count(*) from marts.kpi_sales_monthly",
            "select count(*) from raw._load_manifest",
        ):
            with connect(tool) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        with connect(postgres_database) as owner:  # a view (re)created later, as dbt does on every build
            owner.execute("create view bi.rebuilt_probe as select 1 as one")
        with connect(tool) as conn:
            assert conn.execute("select one from bi.rebuilt_probe").fetchone() == (1,)
    finally:
        with connect(postgres_database) as owner:
            owner.execute("drop view if exists bi.rebuilt_probe")
            owner.execute(f'drop role "{login}"')
