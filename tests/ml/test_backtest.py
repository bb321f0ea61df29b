"""ml.backtest: origin months, and per-point errors and accuracy of a last-value model worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ml.backtest import accuracy_table, backtest, cutoffs
from tests.ml.helpers import months, series

ERROR_COLUMNS = [
    "model", "cutoff", "hierarchy_level", "unique_id", "ds", "horizon", "y", "yhat", "yhat_lo", "yhat_hi",
    "error", "abs_error", "mase_scale", "in_interval",
]
ACCURACY_COLUMNS = [
    "model", "hierarchy_level", "horizon", "origin", "wape", "mase", "bias", "coverage", "fva", "n_series", "n_points", "n_origins"
]


def last_value(df: pd.DataFrame, horizon: int, level: float = 80) -> pd.DataFrame:
    """Every future month gets the series' last value, with the interval last ± 1."""
    rows = []
    for uid, part in df.sort_values("ds").groupby("unique_id"):
        ds, y = part["ds"].iloc[-1], part["y"].iloc[-1]
        for step in range(1, horizon + 1):
            rows.append((uid, ds + pd.DateOffset(months=step), y, y - 1, y + 1))
    return pd.DataFrame(rows, columns=["unique_id", "ds", "yhat", "yhat_lo", "yhat_hi"])


def _panel() -> pd.DataFrame:
    b = series("b", "2023-07-01", [4, 0, 6, 2, 8, 4])
    return pd.concat(
        [
            series("a", "2023-01-01", range(1, 13)),  # 1 .. 12, Jan .. Dec 2023
            b[b["ds"] != pd.Timestamp("2023-08-01")],  # Jul 4, (Aug missing: 0), Sep 6, Oct 2, Nov 8, Dec 4
            series("c", "2023-11-01", [5, 5]),  # starts after both origins: never takes part
            series("d", "2023-01-01", [9] * 6),  # ends Jun 2023: no actuals after either origin
        ],
        ignore_index=True,
    )


PANEL = _panel()


@pytest.fixture(scope="module")
def errors() -> pd.DataFrame:
    return backtest(PANEL, horizon=2, n_origins=2, models={"last": last_value})


# --- cutoffs ----------------------------------------------------------------------------------


def test_cutoffs_end_horizon_months_before_the_last_month():
    assert cutoffs(PANEL, horizon=2, n_origins=2) == months("2023-09-01", 2)
    assert cutoffs(PANEL, horizon=1, n_origins=1) == [pd.Timestamp("2023-11-01")]
    assert cutoffs(PANEL, horizon=6, n_origins=3) == months("2023-04-01", 3)


def test_cutoffs_with_a_step():
    assert cutoffs(PANEL, horizon=2, n_origins=3, step=2) == [
        pd.Timestamp("2023-06-01"), pd.Timestamp("2023-08-01"), pd.Timestamp("2023-10-01"),
    ]


def test_cutoffs_cross_a_year_boundary():
    df = series("x", "2022-06-01", range(10))  # Jun 2022 .. Mar 2023
    assert cutoffs(df, horizon=3, n_origins=3) == months("2022-10-01", 3)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_origins": 0}, "n_origins must be a positive whole number"),
    ({"n_origins": 1.0}, "n_origins must be a positive whole number"),
    ({"n_origins": True}, "n_origins must be a positive whole number"),
    ({"n_origins": 2, "step": 0}, "step must be a positive whole number"),
])
def test_cutoffs_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cutoffs(PANEL, horizon=2, **kwargs)


# --- backtest errors --------------------------------------------------------------------------


def test_error_rows_are_exact(errors):
    assert list(errors.columns) == ERROR_COLUMNS
    expected = pd.DataFrame(
        [
            # cutoff Sep 2023: a's last value 9, b's 6
            ("2023-09-01", "a", "2023-10-01", 1, 10, 9, 8, 10, -1, True, 1.0),
            ("2023-09-01", "a", "2023-11-01", 2, 11, 9, 8, 10, -2, False, 1.0),
            ("2023-09-01", "b", "2023-10-01", 1, 2, 6, 5, 7, 4, False, 5.0),  # |0-4|, |6-0|: 5
            ("2023-09-01", "b", "2023-11-01", 2, 8, 6, 5, 7, -2, False, 5.0),
            # cutoff Oct 2023: a's last value 10, b's 2
            ("2023-10-01", "a", "2023-11-01", 1, 11, 10, 9, 11, -1, True, 1.0),
            ("2023-10-01", "a", "2023-12-01", 2, 12, 10, 9, 11, -2, False, 1.0),
            ("2023-10-01", "b", "2023-11-01", 1, 8, 2, 1, 3, -6, False, 14 / 3),  # (4 + 6 + 4) / 3
            ("2023-10-01", "b", "2023-12-01", 2, 4, 2, 1, 3, -2, False, 14 / 3),
        ],
        columns=["cutoff", "unique_id", "ds", "horizon", "y", "yhat", "yhat_lo", "yhat_hi", "error", "in_interval", "mase_scale"],
    )
    assert errors["model"].tolist() == ["last"] * 8
    assert errors["cutoff"].tolist() == [pd.Timestamp(c) for c in expected["cutoff"]]
    assert errors["ds"].tolist() == [pd.Timestamp(d) for d in expected["ds"]]
    assert errors["unique_id"].tolist() == expected["unique_id"].tolist()
    assert errors["horizon"].tolist() == expected["horizon"].tolist()
    for column in ["y", "yhat", "yhat_lo", "yhat_hi", "error", "mase_scale"]:
        assert errors[column].tolist() == pytest.approx(expected[column].astype(float).tolist()), column
    assert errors["abs_error"].tolist() == pytest.approx(expected["error"].abs().astype(float).tolist())
    assert errors["in_interval"].tolist() == expected["in_interval"].tolist()


def test_missing_actual_month_counts_as_zero():
    df = series("e", "2023-01-01", [5] * 12)
    df = df[df["ds"] != pd.Timestamp("2023-11-01")]
    out = backtest(df, horizon=2, n_origins=1, models={"last": last_value})
    assert out["ds"].tolist() == months("2023-11-01", 2)
    assert out["y"].tolist() == [0.0, 5.0]
    assert out["error"].tolist() == [5.0, 0.0]


def test_level_is_passed_to_the_models():
    def level_as_forecast(df, horizon, level=80):
        out = last_value(df, horizon)
        return out.assign(yhat=float(level))

    out = backtest(PANEL, horizon=1, n_origins=1, level=95, models={"level": level_as_forecast})
    assert out["unique_id"].tolist() == ["a", "b", "c"]  # at the Nov origin c has its first month
    assert out["yhat"].tolist() == [95.0, 95.0, 95.0]


def test_too_many_origins_raise():
    # Horizon 2 from Dec 2023: 10 origins reach back to Jan 2023, where the data starts; 11 do not.
    assert backtest(PANEL, horizon=2, n_origins=10, models={"last": last_value})["cutoff"].nunique() == 10
    with pytest.raises(ValueError, match="need data before 2022-12; the data starts 2023-01. Use fewer origins"):
        backtest(PANEL, horizon=2, n_origins=11, models={"last": last_value})
    with pytest.raises(ValueError, match="5 origins 3 month"):
        backtest(PANEL, horizon=2, n_origins=5, step=3, models={"last": last_value})


# --- accuracy table ---------------------------------------------------------------------------


def test_accuracy_table_is_exact(errors):
    table = accuracy_table(errors)
    assert list(table.columns) == ACCURACY_COLUMNS
    assert table["model"].tolist() == ["last"] * 3
    assert table["horizon"].tolist() == ["all", "1", "2"]
    expected = {
        # absolute errors a: 1, 2, 1, 2; b: 4, 2, 6, 2 (sum 20); actuals 10, 11, 11, 12, 2, 8, 8, 4 (sum 66)
        "all": dict(wape=20 / 66, bias=-12 / 66, coverage=2 / 8, mase=(1 + 2 + 1 + 2 + 4 / 5 + 2 / 5 + 6 * 3 / 14 + 2 * 3 / 14) / 8),
        # step 1: errors -1, -1, 4, -6 on actuals 10, 11, 2, 8
        "1": dict(wape=12 / 31, bias=-4 / 31, coverage=2 / 4, mase=(1 + 1 + 4 / 5 + 6 * 3 / 14) / 4),
        # step 2: errors -2 four times on actuals 11, 12, 8, 4
        "2": dict(wape=8 / 35, bias=-8 / 35, coverage=0.0, mase=(2 + 2 + 2 / 5 + 2 * 3 / 14) / 4),
    }
    assert expected["all"]["mase"] == pytest.approx(39 / 35)
    for _, row in table.iterrows():
        for metric, value in expected[row["horizon"]].items():
            assert row[metric] == pytest.approx(value), (row["horizon"], metric)
    assert table["n_series"].tolist() == [2, 2, 2]
    assert table["n_points"].tolist() == [8, 4, 4]
    assert table["n_origins"].tolist() == [2, 2, 2]


def test_accuracy_table_overall_only(errors):
    table = accuracy_table(errors, by_horizon=False)
    assert table["horizon"].tolist() == ["all"]
    assert table["wape"].iloc[0] == pytest.approx(10 / 33)


def test_accuracy_table_one_row_per_model(errors):
    both = pd.concat([errors, errors.assign(model="again", yhat=errors["y"])], ignore_index=True)
    table = accuracy_table(both, by_horizon=False)
    assert table["model"].tolist() == ["again", "last"]  # sorted by model name
    assert table["wape"].tolist() == pytest.approx([0.0, 10 / 33])
    assert table["n_points"].tolist() == [8, 8]


def test_accuracy_of_undefined_metrics_is_nan():
    zeros = series("z", "2023-01-01", [0] * 6)
    table = accuracy_table(backtest(zeros, horizon=1, n_origins=1, models={"last": last_value}))
    overall = table.iloc[0]
    assert math.isnan(overall["wape"]) and math.isnan(overall["bias"]) and math.isnan(overall["mase"])
    assert overall["coverage"] == 1.0


def test_accuracy_per_origin_and_value_added_over_the_baseline(errors):
    both = pd.concat([errors, errors.assign(model="seasonal_naive", yhat=errors["yhat"] + 1)], ignore_index=True)
    table = accuracy_table(both, by_origin=True).set_index(["model", "horizon", "origin"])
    # origin Sep 2023, step 1: |errors| 1 (a) and 4 (b) on actuals 10 and 2; the baseline's errors are 0 and 5
    assert table.loc[("last", "1", pd.Timestamp("2023-09-01")), "wape"] == pytest.approx(5 / 12)
    assert table.loc[("seasonal_naive", "1", pd.Timestamp("2023-09-01")), "wape"] == pytest.approx(5 / 12)
    # origin Oct 2023, step 1: 1 and 6 on 11 and 8 against 0 and 5: fva = 1 - 7/5
    assert table.loc[("last", "1", pd.Timestamp("2023-10-01")), "fva"] == pytest.approx(1 - 7 / 5)
    # over everything: 20 against the baseline's 1+1+0+1 (a: errors -1,-2,-1,-2 shift to 0,-1,0,-1) + 5+1+5+1
    assert table.loc[("last", "all", pd.NaT), "fva"] == pytest.approx(1 - 20 / 14)
    assert table.loc[("seasonal_naive", "all", pd.NaT), "fva"] == 0.0
    assert len(table) == 2 * (3 + 3 * 2)  # per model: all, 1, 2, each over all origins and per origin


def test_several_levels_give_a_coverage_each():
    def two_levels(df, horizon, level=80):
        out = last_value(df, horizon)
        return out.assign(yhat_lo_80=out["yhat"] - 1, yhat_hi_80=out["yhat"] + 1, yhat_lo_95=out["yhat"] - 3, yhat_hi_95=out["yhat"] + 3)

    out = backtest(PANEL, horizon=2, n_origins=2, level=[80, 95], models={"last": two_levels})
    # errors -1, -2, 4, -2, -1, -2, -6, -2: within 1 for two points, within 3 for six
    assert out["in_interval_80"].sum() == 2 and out["in_interval_95"].sum() == 6
    table = accuracy_table(out, by_horizon=False).iloc[0]
    assert (table["coverage_80"], table["coverage_95"]) == (2 / 8, 6 / 8)


def test_a_hierarchy_is_scored_at_every_node():
    from ml.hierarchy import Hierarchy

    keys = pd.DataFrame({"unique_id": ["a", "b"], "family": ["F", "F"]})
    hierarchy = Hierarchy.from_keys(keys, [["family"]])
    panel = pd.concat([series("a", "2023-01-01", [1, 2, 3, 4]), series("b", "2023-01-01", [4, 0, 6, 2])], ignore_index=True)

    def last_value_everywhere(df, horizon, level=80, hierarchy=None):
        return last_value(hierarchy.aggregate(df), horizon)

    out = backtest(panel, horizon=1, n_origins=1, models={"last": last_value_everywhere}, hierarchy=hierarchy)
    assert out["unique_id"].tolist() == ["a", "b", "F"]
    assert out["hierarchy_level"].tolist() == ["bottom", "bottom", "family"]
    assert out["y"].tolist() == [4.0, 2.0, 6.0]
    assert out["yhat"].tolist() == [3.0, 6.0, 9.0]  # F's last value: 3 + 6
    table = accuracy_table(out, by_horizon=False).set_index("hierarchy_level")
    assert table.loc["family", "wape"] == pytest.approx(3 / 6)
    assert table.loc["bottom", "wape"] == pytest.approx(5 / 6)
