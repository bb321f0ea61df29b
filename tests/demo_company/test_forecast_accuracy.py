"""How much the reconciled demand forecast beats seasonal naive on the demo company (issue 5's bar).

The series are the ones ``marts.fct_demand_product_monthly`` holds: ordered units per product ×
customer region and order month, here summed straight from the simulated order lines of the
default demo company (seed 42, scale 1) over a fixed three-year window, so the numbers do not move
with the calendar. The backtest is the one the ``ml_forecast_accuracy`` asset runs: the 117
product × region series under their family × region, family, region and the total, six rolling
origins, six months ahead, 80 % and 95 % intervals, both reconciliations (the asset's
``candidate_models``), and the pick of ``pick_reconciliation``.

Measured (scikit-learn 1.9; 6 origins × 6 steps; symmetric conformal intervals calibrated on two
hold-out windows; family level 5 series, 180 points per model):

    level            model                    WAPE    MASE    bias     80 % / 95 % coverage
    family           global_gbm_mint_shrink   0.052   0.682   -0.010   0.983 / 1.000
    family           global_gbm_bottom_up     0.057   0.687   -0.011   0.967 / 1.000
    family           seasonal_naive           0.086   1.035   -0.034   0.800 / 0.972
    family × region  global_gbm_mint_shrink   0.095   0.874   -0.010   0.787 / 0.974
    product × region global_gbm_mint_shrink   0.258   0.943   -0.010   0.785 / 0.960
    region           global_gbm_mint_shrink                            0.824 / 1.000
    total            global_gbm_mint_shrink                            0.889 / 1.000

so the backtest picks MinT-shrink (WAPE averaged over the five levels 0.1014 against 0.1020), and
at family level its WAPE is 39.7 % lower than seasonal naive's (the bar: 20 %; bottom-up 34.1 %);
product × region 12.8 %, family × region 24.9 %, region 27.6 %, total 28.9 %.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from demo_company import DemoConfig, simulate
from demo_company.catalog import FAMILIES
from ml.backtest import accuracy_table, backtest
from orchestration.assets.ml import candidate_models, demand_hierarchy, pick_reconciliation

pytestmark = pytest.mark.slow

WINDOW = (date(2023, 1, 1), date(2025, 12, 31))


@pytest.fixture(scope="module")
def backtested() -> tuple[pd.DataFrame, str]:
    """The asset's backtest table (both reconciliations and seasonal naive) and the reconciliation it picks."""
    company = simulate(DemoConfig(seed=42, scale=1.0, start=WINDOW[0], end=WINDOW[1]))
    lines = company.sales.lines
    lines = lines[lines["order_date"] <= pd.Timestamp(WINDOW[1])]  # the simulation runs on past the last export day
    lines = lines.assign(
        product_family=lines["family"].map(lambda family: FAMILIES[int(family)].name),
        ds=lines["order_date"].dt.to_period("M").dt.to_timestamp(),
    )
    lines["unique_id"] = lines["product"].astype(str) + " | " + lines["region"]
    demand = lines.groupby(["unique_id", "product_family", "region", "ds"], as_index=False)["quantity"].sum()
    demand = demand.rename(columns={"quantity": "y"})
    assert demand["ds"].nunique() == 36 and demand["unique_id"].nunique() == 117
    hierarchy = demand_hierarchy(demand)
    errors = backtest(demand[["unique_id", "ds", "y"]], horizon=6, n_origins=6, level=[80, 95], models=candidate_models(hierarchy), hierarchy=hierarchy)
    table = accuracy_table(errors, by_horizon=False)
    return table.set_index(["hierarchy_level", "model"]), pick_reconciliation(table.assign(origin=pd.NaT))


@pytest.fixture(scope="module")
def overall(backtested) -> pd.DataFrame:
    return backtested[0]


def test_the_backtest_picks_mint_shrink_by_a_small_margin(backtested) -> None:
    table, picked = backtested
    means = {m: table.xs(f"global_gbm_{m}", level="model")["wape"].mean() for m in ("bottom_up", "mint_shrink")}
    assert picked == "mint_shrink" and means["mint_shrink"] < means["bottom_up"] < means["mint_shrink"] + 0.002  # 0.1014, 0.1020


def test_family_level_wape_is_over_a_fifth_below_seasonal_naive(overall) -> None:
    model, baseline = overall.loc[("product_family", "global_gbm_mint_shrink")], overall.loc[("product_family", "seasonal_naive")]
    assert model["n_points"] == baseline["n_points"] == 5 * 6 * 6
    assert 0.37 < 1 - model["wape"] / baseline["wape"] < 0.43  # measured 0.397
    assert model["fva"] == pytest.approx(1 - model["wape"] / baseline["wape"])
    assert 1 - model["mase"] / baseline["mase"] > 0.30  # measured 0.342
    assert abs(model["bias"]) < 0.03  # measured -0.010
    bottom_up = overall.loc[("product_family", "global_gbm_bottom_up"), "fva"]
    assert 0.31 < bottom_up < 0.37  # measured 0.341


def test_every_level_beats_seasonal_naive(overall) -> None:
    for level in ("bottom", "product_family × region", "product_family", "region", "total"):
        assert overall.loc[(level, "global_gbm_mint_shrink"), "fva"] > 0.12, level  # measured 0.128 (product × region) .. 0.397 (family)


def test_intervals_cover_about_their_nominal_level(overall) -> None:
    bottom = overall.loc[("bottom", "global_gbm_mint_shrink")]  # 117 product × region series
    assert 0.75 <= bottom["coverage_80"] <= 0.82  # measured 0.785
    assert 0.93 <= bottom["coverage_95"] <= 0.98  # measured 0.960
    pairs = overall.loc[("product_family × region", "global_gbm_mint_shrink")]  # 540 points
    assert 0.76 <= pairs["coverage_80"] <= 0.82  # measured 0.787 (issue 5's bar: 0.75 .. 0.90)
    assert 0.94 <= pairs["coverage_95"] <= 0.99  # measured 0.974
    regions = overall.loc[("region", "global_gbm_mint_shrink")]  # 3 series, 108 points
    assert 0.78 <= regions["coverage_80"] <= 0.87  # measured 0.824
