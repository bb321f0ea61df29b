"""orchestration.assets.ml: the reconciliation the backtest picks, the family-level gain, and the tables on a small panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.assets.ml import (
    ACCURACY_TABLE_COLUMNS, FORECAST_COLUMNS, LEVEL_FORECAST_COLUMNS, demand_forecast_tables, improvement_over_baseline,
    pick_reconciliation,
)


def _accuracy(rows):
    frame = pd.DataFrame(rows, columns=["model", "hierarchy_level", "wape", "fva"])
    return frame.assign(horizon="all", origin=pd.NaT)


def test_the_reconciliation_with_the_lower_mean_wape_over_levels_is_picked():
    accuracy = _accuracy([
        ("global_gbm_bottom_up", "bottom", 0.10, 0.2), ("global_gbm_bottom_up", "product_family", 0.06, 0.3),
        ("global_gbm_mint_shrink", "bottom", 0.12, 0.1), ("global_gbm_mint_shrink", "product_family", 0.03, 0.6),
        ("seasonal_naive", "bottom", 0.2, 0.0), ("seasonal_naive", "product_family", 0.1, 0.0),
    ])
    assert pick_reconciliation(accuracy) == "mint_shrink"  # mean 0.075 against 0.08
    assert improvement_over_baseline(accuracy) == 0.6  # the picked one's family-level fva
    per_origin = accuracy.assign(origin=pd.Timestamp("2024-01-01"), wape=[0.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    assert pick_reconciliation(pd.concat([accuracy, per_origin])) == "mint_shrink"  # per-origin rows do not count


def test_without_a_backtest_the_default_is_used_and_no_gain_is_claimed():
    empty = pd.DataFrame(columns=ACCURACY_TABLE_COLUMNS)
    assert pick_reconciliation(empty) == "bottom_up"
    assert improvement_over_baseline(empty) is None


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(0)
    months = pd.date_range("2023-01-01", periods=15, freq="MS")  # 15 months: one origin, two months ahead
    products = {"R-1": "Road", "R-2": "Road", "C-1": "City"}
    rows = [
        {"product_id": product, "product_family": family, "region": region, "ds": ds, "y": float(rng.poisson(50))}
        for product, family in products.items() for region in ("EMEA", "APAC") for ds in months
    ]
    demand = pd.DataFrame(rows).assign(unique_id=lambda f: f["product_id"] + " | " + f["region"])
    return demand_forecast_tables(demand, "run-1")


def test_the_tables_have_their_columns_and_add_up(tables):
    predicted, by_level, accuracy = tables
    assert list(predicted.columns) == FORECAST_COLUMNS and list(by_level.columns) == LEVEL_FORECAST_COLUMNS
    assert list(accuracy.columns) == ACCURACY_TABLE_COLUMNS
    assert len(predicted) == 4 * 6 and len(by_level) == (1 + 2 + 2 + 4 + 6) * 6
    assert by_level.groupby("hierarchy_level")["unique_id"].nunique().to_dict() == {
        "total": 1, "product_family": 2, "region": 2, "product_family × region": 4, "product_id × region": 6
    }
    assert set(predicted["unique_id"]) == {"Road | EMEA", "Road | APAC", "City | EMEA", "City | APAC"}
    assert (predicted["unique_id"] == predicted["product_family"] + " | " + predicted["region"]).all()
    family = by_level[by_level["hierarchy_level"] == "product_family"].set_index(["unique_id", "ds"])["yhat"].sort_index()
    summed = predicted.groupby(["product_family", "ds"])["yhat"].sum().sort_index()
    assert family.to_numpy() == pytest.approx(summed.to_numpy())
    products = by_level[by_level["hierarchy_level"] == "product_id × region"]
    road_emea = products[products["unique_id"].isin(["R-1 | EMEA", "R-2 | EMEA"])].groupby("ds")["yhat"].sum()
    assert predicted[predicted["unique_id"] == "Road | EMEA"].set_index("ds")["yhat"].to_numpy() == pytest.approx(road_emea.to_numpy())
    assert set(accuracy["hierarchy_level"]) == set(by_level["hierarchy_level"])
    assert set(accuracy["model"]) == {"global_gbm_bottom_up", "global_gbm_mint_shrink", "seasonal_naive"}
    assert set(accuracy["horizon"]) == {"all", "1", "2"}
    assert (predicted["reconciliation"] == pick_reconciliation(accuracy)).all()
    assert (predicted["yhat_lo_95"] <= predicted["yhat_lo_80"]).all() and (predicted["yhat_hi_80"] <= predicted["yhat_hi_95"]).all()
