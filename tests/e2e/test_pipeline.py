"""The whole pipeline on a small demo company: real files, DuckDB, dbt and Dagster, no mocks.

One full run (daily_load over every export day, then warehouse_build) is shared by the tests of
this module; each test then checks one promise of the product against it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from demo_company import TRUTH_FOLDER
from orchestration.run import PLANNED_EVENTS_AS_RANGES
from tests.conftest import E2E_END, E2E_FIRST_EXPORT
from tests.e2e import independent_kpis as independent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(demo_home: Path, tmp_path_factory: pytest.TempPathFactory):
    """A fresh home (copy of the demo exports) after one complete in-process pipeline run."""
    home = tmp_path_factory.mktemp("e2e_home")
    shutil.copytree(demo_home / "landing", home / "landing")
    shutil.copytree(demo_home / TRUTH_FOLDER, home / TRUTH_FOLDER)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SALESOPS_HOME", str(home))
        env.setenv(PLANNED_EVENTS_AS_RANGES, "true")  # as make run does
        from orchestration.run import run_pipeline
        from orchestration.settings import salesops_paths

        instance = dg.DagsterInstance.ephemeral()
        paths = salesops_paths(home)
        load, build = run_pipeline(paths, instance)
        yield {"paths": paths, "load": load, "build": build, "instance": instance}


def query(built, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(built["paths"].warehouse), read_only=True) as conn:
        return conn.execute(sql).df()


def check_results(result: dg.ExecuteInProcessResult) -> list[tuple[str, str, bool]]:
    return [(e.asset_key.to_user_string(), e.check_name, e.passed) for e in result.get_asset_check_evaluations()]


def test_both_runs_succeed_with_every_check_passing(built) -> None:
    assert built["load"].success and built["build"].success
    checks = check_results(built["load"]) + check_results(built["build"])
    failed = [c for c in checks if not c[2]]
    assert failed == []
    names = {(asset, name) for asset, name, _ in checks}
    for table in ("kpi_sales_monthly", "kpi_operations_monthly", "kpi_customer_monthly", "kpi_promise_vs_delivery"):
        assert (f"marts/{table}", "kpi_expectations") in names
    assert ("raw/crm__opportunities", "rows_meet_spec_rules") in names
    assert any(name.startswith("unique_") or name.startswith("not_null_") for _, name, _ in checks)  # dbt tests


def test_every_landing_file_is_accounted_for(built) -> None:
    files = sorted(str(p) for p in (built["paths"].landing).rglob("*") if p.is_file())
    manifest = query(built, "select source_file, rows_read, rows_loaded, rows_rejected, status from raw._load_manifest")
    assert sorted(manifest["source_file"]) == files
    assert (manifest["rows_read"] == manifest["rows_loaded"] + manifest["rows_rejected"]).all()
    assert set(manifest["status"]) == {"loaded"}


def test_win_rate_and_bookings_match_the_export_files(built) -> None:
    expected = independent.sales_by_rep_month(built["paths"].landing)
    actual = query(
        built,
        "select month, sales_rep_id, bookings_amount, won_count, lost_count, win_rate "
        "from marts.kpi_sales_monthly where won_count + lost_count > 0",
    )
    merged = expected.merge(actual, left_on=["month", "OwnerId"], right_on=["month", "sales_rep_id"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(merged) == len(expected) > 20
    assert (merged["won_count_x"] == merged["won_count_y"]).all()
    assert (merged["lost_count_x"] == merged["lost_count_y"]).all()
    assert merged["bookings_amount_x"].round(2).tolist() == merged["bookings_amount_y"].astype(float).round(2).tolist()
    assert (merged["win_rate_x"] - merged["win_rate_y"]).abs().max() < 1e-12


def test_otif_and_fill_rate_match_the_export_files(built) -> None:
    expected = independent.operations_by_family_month(built["paths"].landing)
    actual = query(
        built,
        "select month, product_family, lines_due, lines_otif, otif_rate, fill_rate "
        "from marts.kpi_operations_monthly where lines_due > 0",
    )
    merged = expected.merge(actual, on=["month", "product_family"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(merged) == len(expected) > 10
    assert (merged["lines_due_x"] == merged["lines_due_y"]).all()
    assert (merged["lines_otif_x"] == merged["lines_otif_y"]).all()
    assert (merged["otif_rate_x"] - merged["otif_rate_y"]).abs().max() < 1e-12
    assert (merged["fill_rate_x"] - merged["fill_rate_y"]).abs().max() < 1e-12
    assert 0 < merged["otif_rate_x"].min() < merged["otif_rate_x"].max() <= 1  # late deliveries exist


def test_nps_matches_the_export_files(built) -> None:
    expected = independent.nps_by_region_month(built["paths"].landing)
    actual = query(built, "select month, region, nps_responses, nps from marts.kpi_customer_monthly where nps_responses > 0")
    merged = expected.merge(actual, on=["month", "region"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(merged) == len(expected) > 10
    assert (merged["nps_responses_x"] == merged["nps_responses_y"]).all()
    assert (merged["nps_x"] - merged["nps_y"]).abs().max() < 1e-9


def test_promise_vs_delivery_matches_the_export_files(built) -> None:
    landing = built["paths"].landing
    expected = independent.promise_vs_delivery(landing, landing.parent / TRUTH_FOLDER / "account_customer_matches.csv")
    columns = ["lines_due", "promised_units", "on_time_units", "shipped_units", "late_lines", "lines_promised_inside_lead_time"]
    actual = query(built, f"select month, sales_rep_id, product_family, {', '.join(columns)} from marts.kpi_promise_vs_delivery")
    merged = expected.merge(actual, on=["month", "sales_rep_id", "product_family"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(merged) == len(expected) > 50
    for column in columns:
        assert (merged[f"{column}_x"] == merged[f"{column}_y"]).all(), column
    assert 0 < merged["late_lines_x"].sum() < merged["lines_due_x"].sum()


@pytest.mark.parametrize("day", ["2024-06-30", "2024-12-31", "2025-02-15"])
def test_the_pipeline_of_a_past_day_matches_the_opportunity_history(built, day: str) -> None:
    expected = independent.open_pipeline_on(built["paths"].landing, day)
    actual = query(
        built,
        "select stage_name, sum(open_opportunities) as open_opportunities, sum(open_amount) as open_amount "
        f"from marts.fct_pipeline_daily where date_day = date '{day}' group by stage_name",
    )
    merged = expected.merge(actual, left_on="StageName", right_on="stage_name", how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(merged) >= 3
    assert (merged["open_opportunities_x"] == merged["open_opportunities_y"]).all()
    assert merged["open_amount_x"].round(2).tolist() == merged["open_amount_y"].astype(float).round(2).tolist()


def test_sop_table_carries_bookings_pipeline_and_the_latest_forecast(built) -> None:
    expected = independent.sop_sales_side(built["paths"].landing)
    actual = query(built, "select * from marts.kpi_sop_monthly")
    merged = expected.merge(actual, on=["month", "product_family"], how="left", indicator=True)
    assert (merged["_merge"] == "both").all() and len(merged) > 20
    assert (merged["booked_units_x"] == merged["booked_units_y"]).all()
    # the warehouse stores the sum as decimal(18,2): equal to the cent
    assert (merged["weighted_pipeline_amount_x"] - merged["weighted_pipeline_amount_y"].astype(float)).abs().max() <= 0.005 + 1e-9
    forecast = query(built, "select ds, product_family, yhat, created_at from ml.ml_demand_forecast")
    latest = forecast[forecast["created_at"] == forecast["created_at"].max()]
    family = latest.groupby(["ds", "product_family"], as_index=False)["yhat"].sum().rename(columns={"ds": "month"})
    joined = family.merge(actual, on=["month", "product_family"])
    assert len(joined) == len(family) > 0
    assert (joined["yhat"] - joined["forecast_units"]).abs().max() < 1e-9
    planned = actual["forecast_units"].fillna(actual["booked_units"].astype(float))
    assert (planned - actual["demand_plan_units"]).abs().max() < 1e-9
    with_capacity = actual.dropna(subset=["capacity_units"])
    assert len(with_capacity) > 0
    assert ((with_capacity["capacity_units"] - with_capacity["demand_plan_units"]) - with_capacity["capacity_gap_units"]).abs().max() < 1e-9
    assert (with_capacity["is_at_risk"] == (with_capacity["demand_plan_units"] > with_capacity["capacity_units"])).all()


def test_bi_views_answer_like_the_marts_behind_them(built) -> None:
    pairs = {"sales_monthly": "kpi_sales_monthly", "sop_monthly": "kpi_sop_monthly", "pipeline_daily": "fct_pipeline_daily"}
    for view, mart in pairs.items():
        assert query(built, f"select count(*) as n from bi.{view}")["n"][0] == query(built, f"select count(*) as n from marts.{mart}")["n"][0] > 0
    columns = query(built, "select table_name, column_name from information_schema.columns where table_schema = 'bi'")
    assert not set(columns["column_name"]) & {"email", "phone", "first_name", "last_name"}


def test_make_run_summary_shows_the_last_complete_months_as_the_exports_say(built) -> None:
    from orchestration.summary import kpi_summary
    from orchestration.warehouse import DuckDBWarehouse

    landing = built["paths"].landing
    months = ["2024-12", "2025-01", "2025-02"]  # the exports end on 2025-02-28: February is complete
    sales = independent.sales_by_rep_month(landing).assign(m=lambda f: f["month"].astype(str).str[:7]).groupby("m").sum(numeric_only=True)
    operations = independent.operations_by_family_month(landing).assign(m=lambda f: f["month"].astype(str).str[:7]).groupby("m").sum(numeric_only=True)
    nps = independent.nps_by_region_month(landing).assign(m=lambda f: f["month"].astype(str).str[:7], weighted=lambda f: f["nps"] * f["nps_responses"])
    nps = nps.groupby("m")[["weighted", "nps_responses"]].sum()
    rows = [line.split() for line in kpi_summary(DuckDBWarehouse(built["paths"].warehouse)).splitlines()[2:]]
    assert [row[0] for row in rows] == months
    for month, bookings, win_rate, _attainment, otif, *_rest in rows:
        assert bookings == f"{sales.loc[month, 'bookings_amount']:,.0f}"
        assert win_rate == f"{sales.loc[month, 'won_count'] / (sales.loc[month, 'won_count'] + sales.loc[month, 'lost_count']):.1%}"
        assert otif == f"{operations.loc[month, 'lines_otif'] / operations.loc[month, 'lines_due']:.1%}"
        assert _rest[1] == f"{nps.loc[month, 'weighted'] / nps.loc[month, 'nps_responses']:,.1f}"


def test_reingesting_a_partition_leaves_row_counts_unchanged(built) -> None:
    from orchestration.definitions import build_definitions

    tables = query(built, "select table_name from information_schema.tables where table_schema = 'raw' and table_name not like '\\_%' escape '\\'")
    counts_sql = " union all ".join(f"select '{t}' as t, count(*) as n from raw.{t}" for t in tables["table_name"])
    before = query(built, counts_sql).sort_values("t").reset_index(drop=True)
    facts_sql = "select (select count(*) from marts.fct_order_lines) as lines, (select count(*) from marts.fct_shipments) as shipments"
    facts_before = query(built, facts_sql)
    day = E2E_FIRST_EXPORT.isoformat()  # the initial export: all history before it, the largest partition
    result = build_definitions().resolve_job_def("daily_load").execute_in_process(
        instance=built["instance"], tags={ASSET_PARTITION_RANGE_START_TAG: day, ASSET_PARTITION_RANGE_END_TAG: day}
    )
    assert result.success
    after = query(built, counts_sql).sort_values("t").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)
    pd.testing.assert_frame_equal(facts_before, query(built, facts_sql))


def test_forecast_tables_are_written(built) -> None:
    forecast = query(built, "select * from ml.ml_demand_forecast")
    assert {"unique_id", "ds", "yhat", "yhat_lo", "yhat_hi"} <= set(forecast.columns)
    assert (forecast.groupby("unique_id").size() == 6).all()
    assert sorted(forecast["horizon"].unique()) == [1, 2, 3, 4, 5, 6]
    assert (forecast["yhat_lo"] <= forecast["yhat"]).all() and (forecast["yhat"] <= forecast["yhat_hi"]).all()
    accuracy = query(built, "select * from ml.ml_forecast_accuracy")
    assert {"model", "hierarchy_level", "origin", "wape", "mase", "bias", "coverage_80", "coverage_95", "fva"} <= set(accuracy.columns)
    # 14 complete months leave room for one backtest origin, one month ahead (backtest_plan)
    overall = accuracy[(accuracy["horizon"] == "all") & accuracy["origin"].isna() & (accuracy["hierarchy_level"] == "product_family × region")]
    overall = overall.set_index("model")
    assert sorted(overall.index) == ["global_gbm_bottom_up", "global_gbm_mint_shrink", "seasonal_naive"]
    assert (overall["n_origins"] == 1).all() and set(accuracy["horizon"]) == {"all", "1"}
    assert (overall["n_points"] == forecast["unique_id"].nunique()).all()
    levels = query(built, "select * from ml.ml_demand_forecast_levels")
    families = levels[levels["hierarchy_level"] == "product_family"].set_index(["unique_id", "ds", "run_id"])["yhat"]
    summed = forecast.groupby(["product_family", "ds", "run_id"])["yhat"].sum()
    assert (families.sort_index() - summed.sort_index().to_numpy()).abs().max() < 1e-6  # the forecasts add up
    products = levels[levels["hierarchy_level"] == "product_id × region"]
    demand = query(built, "select count(*) as n from (select distinct product_id, region from marts.fct_demand_product_monthly)")
    assert products["unique_id"].nunique() == demand["n"].iloc[0]  # the bottom level: every product × region
    pairs = levels[levels["hierarchy_level"] == "product_family × region"].set_index(["unique_id", "ds", "run_id"])["yhat"]
    assert (pairs.sort_index() - forecast.set_index(["unique_id", "ds", "run_id"])["yhat"].sort_index()).abs().max() < 1e-9


def test_every_open_opportunity_is_scored_and_the_sop_table_weights_it_by_the_model(built) -> None:
    landing = built["paths"].landing
    scores = query(built, "select * from ml.ml_win_probability")
    opportunities = independent.latest(independent.read_export(landing, "crm", "opportunities"), ["Id"], "LastModifiedDate")
    open_now = opportunities[~opportunities["StageName"].isin(["Closed Won", "Closed Lost"])]
    assert sorted(scores["opportunity_id"]) == sorted(open_now["Id"]) and len(scores) > 10
    assert scores["win_probability"].between(0, 1).all() and scores["model"].unique().tolist() == ["gbm_isotonic"]
    crm = open_now.set_index("Id")["Probability"].astype(float) / 100
    assert (scores.set_index("opportunity_id")["crm_probability"] - crm).abs().max() < 1e-9
    expected = independent.expected_bookings(landing, scores[["opportunity_id", "win_probability"]])
    actual = query(built, "select month, product_family, expected_bookings_amount from marts.kpi_sop_monthly")
    merged = expected.merge(actual, on=["month", "product_family"], how="left", indicator=True)
    assert (merged["_merge"] == "both").all() and len(merged) > 5
    assert (merged["expected_bookings_amount_x"] - merged["expected_bookings_amount_y"].astype(float)).abs().max() <= 0.005 + 1e-9
    pipeline = query(built, "select month, product_family, expected_bookings_amount from ml.ml_pipeline_forecast")
    both = expected.merge(pipeline, on=["month", "product_family"], how="outer", indicator=True)
    assert (both["_merge"] == "both").all()
    assert (both["expected_bookings_amount_x"] - both["expected_bookings_amount_y"]).abs().max() < 1e-6
    assert query(built, "select count(*) as n from bi.sop_monthly where expected_bookings_amount > 0")["n"][0] > 0


def test_win_probability_is_validated_and_the_sop_report_is_written(built) -> None:
    calibration = query(built, "select * from ml.ml_win_probability_calibration")
    brier = calibration.drop_duplicates("forecaster").set_index("forecaster")["brier_score"]
    assert sorted(brier.index) == ["crm_stage_probability", "gbm_isotonic"]
    assert brier["gbm_isotonic"] < brier["crm_stage_probability"]
    report = (built["paths"].home / "reports" / "sop_report.html").read_text()
    assert report.count("<svg") >= 7  # five families, the bookings and the calibration chart
    assert "src=" not in report and "<script" not in report and "https://" not in report  # self-contained
    families = query(built, "select distinct product_family from marts.fct_demand_monthly")["product_family"]
    assert all(f"{family}: ordered units per month" in report for family in families)


def test_the_checked_build_is_published_to_bi_duckdb(built) -> None:
    views = query(built, "select table_name from information_schema.tables where table_schema = 'bi' order by 1")["table_name"].tolist()
    assert len(views) >= 10
    with duckdb.connect(str(built["paths"].bi_warehouse), read_only=True) as conn:
        relations = conn.execute("select table_schema, table_name, table_type from information_schema.tables order by all").fetchall()
        assert relations == sorted([("main", v, "BASE TABLE") for v in views] + [("publication", "build", "BASE TABLE"), ("publication", "tables", "BASE TABLE")])
        for view in views:
            published = conn.execute(f"select count(*) from {view}").fetchone()[0]
            assert published == query(built, f"select count(*) as n from bi.{view}")["n"][0], view
        assert conn.execute("select build_id, latest_export_day::varchar from publication.build").fetchone() == (built["build"].run_id, "2025-02-28")
    metadata = built["build"].asset_materializations_for_node("publish")[0].metadata
    assert metadata["tables_published"].value == len(views)
    assert metadata["file_size_bytes"].value == built["paths"].bi_warehouse.stat().st_size


def test_a_full_refresh_rebuilds_the_daily_load_models_from_every_raw_row(built) -> None:
    """daily_load configured with full_refresh rebuilds the incremental staging models and facts from
    every raw row. A staged account edited outside dbt (as a changed model would leave a stale
    column) keeps its edit through an incremental run of a day that did not export it, and loses it
    in a full refresh of that same day. Last in the module: it edits the shared warehouse."""
    from orchestration.definitions import build_definitions

    day = E2E_END.isoformat()
    with duckdb.connect(str(built["paths"].warehouse)) as conn:
        account_id, name = conn.execute(
            "select account_id, account_name from staging.stg_crm__accounts "
            "where account_id not in (select trim(account_id) from raw.crm__accounts where _export_date = ?) "
            "order by account_id limit 1",
            [day],
        ).fetchone()
        conn.execute("update staging.stg_crm__accounts set account_name = 'edited outside dbt' where account_id = ?", [account_id])
    job = build_definitions().resolve_job_def("daily_load")
    tags = {ASSET_PARTITION_RANGE_START_TAG: day, ASSET_PARTITION_RANGE_END_TAG: day}
    staged_name = f"select account_name from staging.stg_crm__accounts where account_id = '{account_id}'"

    assert job.execute_in_process(instance=built["instance"], tags=tags).success
    assert query(built, staged_name)["account_name"].tolist() == ["edited outside dbt"]

    full_refresh = {"ops": {"dbt_daily_facts": {"config": {"full_refresh": True}}}}
    assert job.execute_in_process(instance=built["instance"], tags=tags, run_config=full_refresh).success
    assert query(built, staged_name)["account_name"].tolist() == [name]
