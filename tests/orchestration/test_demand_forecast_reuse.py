"""The demand_forecast asset keeps the tables of the run that computed them while the complete months
it reads stay the same, and computes again when they change, when asked to, or when the tables are
gone: materialized by Dagster on a real DuckDB warehouse holding a small demand mart."""

from __future__ import annotations

import dagster as dg
import duckdb
import numpy as np
import pandas as pd

from orchestration.assets.ml import ACCURACY_KEY, FORECAST_KEY, demand_forecast
from orchestration.forecast_reuse import INPUTS_TABLE
from orchestration.resources import SalesopsHome
from orchestration.warehouse import FrameWrite

MONTHS = pd.date_range("2023-01-01", periods=15, freq="MS")  # 15 complete months: one backtest origin


def demand_mart(bump: float = 0.0) -> pd.DataFrame:
    """``marts.fct_demand_product_monthly``'s columns the forecast reads; ``bump`` changes one month's units."""
    rng = np.random.default_rng(0)
    products = {"R-1": "Road", "R-2": "Road", "C-1": "City"}
    rows = [
        {"month": month, "product_id": product, "product_family": family, "region": region,
         "ordered_units": int(rng.poisson(50)), "is_complete_month": True}
        for product, family in products.items() for region in ("EMEA", "APAC") for month in MONTHS
    ]
    rows.append({"month": MONTHS[-1] + pd.offsets.MonthBegin(1), "product_id": "R-1", "product_family": "Road", "region": "EMEA",
                 "ordered_units": 7, "is_complete_month": False})  # the month in progress: not read
    frame = pd.DataFrame(rows)
    frame.loc[0, "ordered_units"] += bump
    return frame


def run(home, recompute: bool | None = None) -> tuple[dg.ExecuteInProcessResult, dict]:
    config = {} if recompute is None else {"recompute": recompute}
    result = dg.materialize(
        [demand_forecast], resources={"salesops": SalesopsHome(home=str(home))},
        run_config={"ops": {"demand_forecast": {"config": config}}},
    )
    forecast = next(m for m in result.asset_materializations_for_node("demand_forecast") if m.asset_key == FORECAST_KEY)
    accuracy = next(m for m in result.asset_materializations_for_node("demand_forecast") if m.asset_key == ACCURACY_KEY)
    assert accuracy.metadata["computed_in_run"] == forecast.metadata["computed_in_run"]
    return result, {key: value.value for key, value in forecast.metadata.items()}


def tables(salesops: SalesopsHome) -> dict[str, pd.DataFrame]:
    return {
        name: salesops.warehouse.read_frame(f"select * from ml.{name} order by all")
        for name in ("ml_demand_forecast", "ml_demand_forecast_levels", "ml_forecast_accuracy", INPUTS_TABLE)
    }


def assert_same_tables(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    assert left.keys() == right.keys()
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], check_exact=True)


def test_the_forecast_is_kept_while_the_complete_months_stay_the_same(tmp_path) -> None:
    salesops = SalesopsHome(home=str(tmp_path))
    salesops.warehouse.write_frames([FrameWrite("marts", "fct_demand_product_monthly", demand_mart())])

    first, computed = run(tmp_path)
    assert computed["computed_this_run"] is True and computed["computed_in_run"] == first.run_id
    written = tables(salesops)
    assert set(written["ml_demand_forecast"]["run_id"]) == {first.run_id}
    assert written[INPUTS_TABLE][["run_id", "as_of_month"]].to_dict("records") == [{"run_id": first.run_id, "as_of_month": MONTHS[-1]}]

    # the month in progress changes: the complete months do not
    in_progress = demand_mart()
    in_progress.loc[in_progress["is_complete_month"] == False, "ordered_units"] = 70  # noqa: E712
    salesops.warehouse.write_frames([FrameWrite("marts", "fct_demand_product_monthly", in_progress)])
    second, kept = run(tmp_path)
    assert kept["computed_this_run"] is False and kept["computed_in_run"] == first.run_id
    assert kept["dagster/row_count"] == computed["dagster/row_count"] == 4 * 6
    assert_same_tables(tables(salesops), written)

    forced, recomputed = run(tmp_path, recompute=True)
    assert recomputed["computed_this_run"] is True and recomputed["computed_in_run"] == forced.run_id
    assert set(tables(salesops)["ml_demand_forecast"]["run_id"]) == {forced.run_id}

    # a complete month corrected: computed again
    salesops.warehouse.write_frames([FrameWrite("marts", "fct_demand_product_monthly", demand_mart(bump=5))])
    corrected, changed = run(tmp_path)
    assert changed["computed_this_run"] is True
    assert tables(salesops)[INPUTS_TABLE]["run_id"].tolist() == [corrected.run_id]


def test_the_forecast_is_computed_again_when_its_tables_are_gone(tmp_path) -> None:
    salesops = SalesopsHome(home=str(tmp_path))
    salesops.warehouse.write_frames([FrameWrite("marts", "fct_demand_product_monthly", demand_mart())])
    first, _ = run(tmp_path)
    salesops.warehouse.write_frames([FrameWrite("ml", "ml_demand_forecast", tables(salesops)["ml_demand_forecast"].iloc[:0])])
    again, computed = run(tmp_path)
    assert computed["computed_this_run"] is True and computed["computed_in_run"] == again.run_id != first.run_id
    assert set(tables(salesops)["ml_demand_forecast"]["run_id"]) == {again.run_id}

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as conn:
        conn.execute("drop table ml.ml_demand_forecast_levels")
    rebuilt, computed = run(tmp_path)
    assert computed["computed_this_run"] is True and computed["computed_in_run"] == rebuilt.run_id
    assert set(tables(salesops)["ml_demand_forecast_levels"]["run_id"]) == {rebuilt.run_id}
