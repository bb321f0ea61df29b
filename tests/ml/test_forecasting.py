"""ml.forecasting.forecast: the output contract, and behaviour on short, intermittent, all-zero and new series.

The forecaster fits a model on every call, so the expensive forecasts are made once per module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.forecasting import MODEL_NAME, forecast
from ml.synthetic import make_panel
from tests.ml.helpers import months, series, z

HORIZON = 6
COLUMNS = ["unique_id", "ds", "yhat", "yhat_lo", "yhat_hi"]
GAP = ("s03", pd.Timestamp("2022-06-01"))


def _ragged_panel() -> pd.DataFrame:
    """12 synthetic series (Jan 2021 .. Dec 2023) made ragged: different ends, a late start, a gap, a newcomer."""
    df = make_panel(12, 36, seed=2, intermittent_share=0.25)
    ds, uid = df["ds"], df["unique_id"]
    drop = (
        ((uid == "s00") & (ds > "2023-11-01"))  # ends Nov 2023
        | ((uid == "s01") & (ds > "2023-07-01"))  # ends Jul 2023
        | ((uid == "s02") & (ds < "2022-09-01"))  # starts Sep 2022: 16 months
        | ((uid == GAP[0]) & (ds == GAP[1]))  # one month missing inside the series
    )
    newcomer = series("s99", "2023-11-01", [40, 55])  # two months of history
    return pd.concat([df[~drop], newcomer], ignore_index=True)


@pytest.fixture(scope="module")
def ragged() -> pd.DataFrame:
    return _ragged_panel()


@pytest.fixture(scope="module")
def ragged_forecast(ragged) -> pd.DataFrame:
    return forecast(ragged, HORIZON)


def _check_bounds(out: pd.DataFrame) -> None:
    values = out[["yhat", "yhat_lo", "yhat_hi"]].to_numpy()
    assert np.isfinite(values).all()
    assert (out["yhat_lo"] <= out["yhat"]).all()
    assert (out["yhat"] <= out["yhat_hi"]).all()


# --- the output contract -------------------------------------------------------------------


def test_model_name():
    assert MODEL_NAME == "global_gbm"


def test_columns_types_and_length(ragged, ragged_forecast):
    out = ragged_forecast
    assert list(out.columns) == COLUMNS
    assert len(out) == HORIZON * ragged["unique_id"].nunique() == 6 * 13
    assert out["ds"].dtype == "datetime64[ns]"
    assert out.index.tolist() == list(range(len(out)))


def test_sorted_by_series_then_month(ragged_forecast):
    out = ragged_forecast
    assert out["unique_id"].tolist() == [f"s{i:02d}" for i in range(12) for _ in range(HORIZON)] + ["s99"] * HORIZON
    assert out.equals(out.sort_values(["unique_id", "ds"], ignore_index=True))


def test_months_follow_each_series_own_last_month(ragged_forecast):
    got = ragged_forecast.groupby("unique_id")["ds"].apply(list)
    assert got["s00"] == months("2023-12-01", 6)
    assert got["s01"] == months("2023-08-01", 6)
    assert got["s02"] == months("2024-01-01", 6)
    assert got["s99"] == months("2024-01-01", 6)
    for uid in ["s03", "s04", "s11"]:
        assert got[uid] == months("2024-01-01", 6)


def test_bounds_are_ordered_finite_and_non_negative(ragged_forecast):
    _check_bounds(ragged_forecast)
    assert (ragged_forecast["yhat_lo"] >= 0).all()  # the synthetic demand has no negative value
    assert (ragged_forecast["yhat_hi"] > ragged_forecast["yhat_lo"]).any()


def test_deterministic(ragged, ragged_forecast):
    pd.testing.assert_frame_equal(forecast(ragged, HORIZON), ragged_forecast)


def test_input_row_order_does_not_matter(ragged, ragged_forecast):
    shuffled = ragged.sample(frac=1.0, random_state=7)
    pd.testing.assert_frame_equal(forecast(shuffled, HORIZON), ragged_forecast)


def test_missing_month_is_the_same_as_a_zero(ragged, ragged_forecast):
    explicit = pd.concat(
        [ragged, pd.DataFrame({"unique_id": [GAP[0]], "ds": [GAP[1]], "y": [0.0]})], ignore_index=True
    )
    pd.testing.assert_frame_equal(forecast(explicit, HORIZON), ragged_forecast)


@pytest.fixture(scope="module")
def by_level(ragged) -> dict[int, pd.DataFrame]:
    return {level: forecast(ragged, HORIZON, level=level) for level in (50, 95)}


def test_higher_level_gives_wider_intervals(by_level, ragged_forecast):
    width = {level: out["yhat_hi"] - out["yhat_lo"] for level, out in by_level.items()}
    width[80] = ragged_forecast["yhat_hi"] - ragged_forecast["yhat_lo"]
    assert (width[95] >= width[80]).all() and (width[80] >= width[50]).all()
    assert width[95].sum() > 1.5 * width[50].sum()
    assert width[95].sum() > width[80].sum() > width[50].sum()


def test_level_does_not_move_the_point_forecast(by_level, ragged_forecast):
    for out in by_level.values():
        np.testing.assert_array_equal(out["yhat"].to_numpy(), ragged_forecast["yhat"].to_numpy())


def test_horizon_longer_than_a_year():
    df = make_panel(4, 30, seed=3)
    out = forecast(df, 18)
    assert len(out) == 4 * 18
    assert out.groupby("unique_id")["ds"].apply(list).iloc[0] == months("2023-07-01", 18)
    _check_bounds(out)


# --- short, intermittent, all-zero and unseen series ---------------------------------------


def test_panel_of_24_month_series():
    df = make_panel(30, 24, seed=4)
    out = forecast(df, HORIZON)
    assert len(out) == 30 * HORIZON
    assert set(out["ds"]) == set(months("2023-01-01", 6))
    _check_bounds(out)
    assert (out["yhat_lo"] >= 0).all()
    # Sanity of scale: each series' forecast total within a factor of 3 of its last 6 months' total.
    recent = df[df["ds"] >= "2022-07-01"].groupby("unique_id")["y"].sum()
    ahead = out.groupby("unique_id")["yhat"].sum()
    busy = recent > 60  # leave out the slow movers, whose six-month totals are a handful of units
    ratio = ahead[busy] / recent[busy]
    assert ((ratio > 1 / 3) & (ratio < 3)).all(), ratio


def test_single_24_month_series():
    out = forecast(make_panel(1, 24, seed=4), HORIZON)
    assert len(out) == HORIZON and out["ds"].tolist() == months("2023-01-01", 6)
    _check_bounds(out)
    assert (out["yhat"] > 0).all()


def test_constant_series_is_forecast_as_that_constant():
    out = forecast(series("flat", "2022-01-01", [10] * 24), HORIZON)
    np.testing.assert_allclose(out["yhat"], 10.0, rtol=0, atol=1e-9)
    _check_bounds(out)


def test_three_month_series():
    out = forecast(series("young", "2024-01-01", [5, 7, 6]), HORIZON)
    assert out["ds"].tolist() == months("2024-04-01", 6)
    _check_bounds(out)
    assert (out["yhat_lo"] >= 0).all()
    # Between the smallest and largest value seen: nothing else is known about it.
    assert ((out["yhat"] >= 5) & (out["yhat"] <= 7)).all()


def test_one_month_series_gets_its_value_and_a_normal_interval():
    out = forecast(series("newborn", "2024-01-01", [5]), HORIZON)
    assert out["ds"].tolist() == months("2024-02-01", 6)
    assert out["yhat"].tolist() == [5.0] * 6
    # No held-out error at all: the documented fallback ±z·1.25·√step in units of the series'
    # error scale, which for one month is its level (5); the lower bound is cut at 0.
    half = z(80) * 1.25 * 5 * np.sqrt(np.arange(1, 7))
    np.testing.assert_allclose(out["yhat_hi"], 5 + half)
    np.testing.assert_allclose(out["yhat_lo"], np.maximum(5 - half, 0.0))
    wider = forecast(series("newborn", "2024-01-01", [5]), HORIZON, level=95)
    assert (wider["yhat_hi"] > out["yhat_hi"]).all()


def test_all_zero_series_forecasts_zero():
    out = forecast(series("never", "2022-01-01", [0] * 24), HORIZON)
    assert out["yhat"].tolist() == [0.0] * 6
    assert out["yhat_lo"].tolist() == [0.0] * 6
    assert out["yhat_hi"].tolist() == [0.0] * 6


def test_all_zero_series_inside_a_panel_forecasts_zero():
    df = pd.concat([make_panel(5, 30, seed=6), series("never", "2021-01-01", [0] * 30)], ignore_index=True)
    out = forecast(df, HORIZON)
    never = out[out["unique_id"] == "never"]
    assert never[["yhat", "yhat_lo", "yhat_hi"]].to_numpy().tolist() == [[0.0, 0.0, 0.0]] * 6
    _check_bounds(out)


INTERMITTENT = [0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0]


def test_intermittent_series_alone():
    out = forecast(series("slow", "2022-01-01", INTERMITTENT), HORIZON)
    _check_bounds(out)
    assert (out["yhat_lo"] >= 0).all()
    assert (out["yhat"] <= max(INTERMITTENT)).all()
    assert (out["yhat_hi"] > 0).all()  # demand does happen: no interval collapses to {0}


def test_intermittent_series_in_a_mixed_panel():
    df = make_panel(20, 36, seed=7, intermittent_share=0.5)
    out = forecast(df, HORIZON)
    _check_bounds(out)
    assert (out["yhat_lo"] >= 0).all()
    mean = df.groupby("unique_id")["y"].mean()
    zero_share = df.assign(zero=df["y"] == 0).groupby("unique_id")["zero"].mean()
    slow = zero_share[zero_share >= 0.4].index
    assert len(slow) == 4  # s00, s11, s16, s19: 42 % to 86 % zero months
    for uid in slow:
        part = out[out["unique_id"] == uid]
        history = df.loc[df["unique_id"] == uid, "y"]
        # s11 peaks at 2.17 in Feb 2024 (max seen: 2, in Feb 2023): the yearly growth of a
        # series that doubled on a handful of units; allow a quarter above the largest month
        assert (part["yhat"] <= 1.25 * history.max()).all(), uid
        assert (part["yhat_hi"] > 0).all()
        # six months of forecast no more than 25 % above the busiest six months seen
        assert part["yhat"].sum() <= 1.25 * history.rolling(6).sum().max(), uid
    # Together the slow series are forecast near their average rate: measured 15.5 units over six
    # months against 6 × (1.06 + 0.39 + 0.69 + 0.22) = 14.2 at the historical mean.
    total = out.loc[out["unique_id"].isin(slow), "yhat"].sum()
    assert 0.67 * 6 * mean[slow].sum() <= total <= 1.5 * 6 * mean[slow].sum()


def test_unseen_series_alone_and_statelessness(ragged):
    newcomer = series("brand-new | EMEA", "2022-03-01", 50 + 20 * np.sin(np.arange(30) / 12 * 2 * np.pi) + np.arange(30))
    first = forecast(newcomer, HORIZON)
    assert first["unique_id"].tolist() == ["brand-new | EMEA"] * 6
    assert first["ds"].tolist() == months("2024-09-01", 6)
    _check_bounds(first)
    assert ((first["yhat"] > 20) & (first["yhat"] < 150)).all()
    forecast(ragged, HORIZON)  # another fit in between must leave nothing behind
    pd.testing.assert_frame_equal(forecast(newcomer, HORIZON), first)


def _unseen(kind: str) -> pd.DataFrame:
    months_ = np.arange(40)
    rng = np.random.default_rng(11)
    if kind == "one_month":
        return series("x", "2024-05-01", [7])
    if kind == "short":
        return series("x", "2024-01-01", [12, 15, 11, 14, 13])
    if kind == "intermittent":
        return series("x", "2022-01-01", rng.poisson(0.4, 40) * 3)
    if kind == "trending":
        return series("x", "2022-01-01", 100 + 8 * months_ + rng.normal(0, 5, 40))
    # strongly seasonal: a summer peak four times the winter trough
    return series("x", "2022-01-01", 100 + 60 * np.cos(2 * np.pi * (months_ - 6) / 12) + rng.normal(0, 4, 40))


@pytest.mark.parametrize("kind", ["one_month", "short", "intermittent", "trending", "seasonal"])
def test_unseen_series_kinds_get_finite_sensible_forecasts_and_real_intervals(kind):
    df = _unseen(kind)
    out = forecast(df, 6, level=[80, 95])
    values = out[["yhat", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"]].to_numpy()
    assert np.isfinite(values).all()
    assert (out["yhat_lo_80"] < out["yhat_hi_80"]).all()  # never a zero-width interval
    assert (out["yhat_lo_95"] <= out["yhat_lo_80"]).all() and (out["yhat_hi_80"] <= out["yhat_hi_95"]).all()
    history = df["y"]
    assert (out["yhat"] >= 0).all() and (out["yhat"] <= 1.3 * history.max()).all()
    if kind == "trending":  # the next months continue upwards: above the last year's mean
        assert out["yhat"].mean() > history.iloc[-12:].mean()
    if kind == "seasonal":  # follows the true curve (May .. Oct 2025, peak in July) within 15 %
        truth = 100 + 60 * np.cos(2 * np.pi * (np.arange(40, 46) - 6) / 12)
        assert np.abs(out["yhat"].to_numpy() / truth - 1).max() < 0.15


def test_intervals_are_calibrated_on_two_hold_out_windows():
    """Long enough history: the held-out forecasts of the latest window and of the one before it."""
    from ml.forecasting import GlobalForecaster
    from ml.panel import to_panel

    months = pd.date_range("2020-01-01", periods=36, freq="MS")
    season = 1 + 0.3 * np.sin(2 * np.pi * months.month.to_numpy() / 12)
    df = pd.concat(
        [pd.DataFrame({"unique_id": f"s{k}", "ds": months, "y": (50 + 10 * k) * season + np.arange(36)}) for k in range(10)],
        ignore_index=True,
    )
    forecaster = GlobalForecaster(horizon=3)
    base = forecaster._base(to_panel(df))
    # hold-out of 7 months (a fifth of 36): 7 origins × 3 steps − (1 + 2) past the window's end = 18 per series
    assert forecaster.n_calibration_rows == 10 * 18  # the latest window: it picks the blend
    assert int(base.valid.sum()) == 2 * 10 * 18  # both windows calibrate
    i, t, h = (a[base.valid] for a in base.cal)
    assert sorted(set((t + h).tolist())) == list(range(36 - 14, 36))  # the last 14 months are targets
