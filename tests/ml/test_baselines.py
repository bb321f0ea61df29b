"""ml.baselines.seasonal_naive: exact forecasts and intervals for small hand-made series."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml.baselines import seasonal_naive
from tests.ml.helpers import months, series, z

# 14 months, Jan 2023 .. Feb 2024: a first year 100, 102, ..., 122, then Jan 103 and Feb 108.
FIRST_YEAR = [100 + 2 * j for j in range(12)]
FOURTEEN = series("a", "2023-01-01", FIRST_YEAR + [103, 108])
# Seasonal residuals y_t - y_{t-12}: 103 - 100 = 3 and 108 - 102 = 6, so sigma = sqrt((9 + 36) / 2).
FOURTEEN_SIGMA = math.sqrt(22.5)


def test_output_columns_dates_and_order():
    out = seasonal_naive(FOURTEEN, horizon=3)
    assert list(out.columns) == ["unique_id", "ds", "yhat", "yhat_lo", "yhat_hi"]
    assert out["unique_id"].tolist() == ["a"] * 3
    assert out["ds"].tolist() == months("2024-03-01", 3)


def test_fourteen_months_repeat_the_last_season():
    out = seasonal_naive(FOURTEEN, horizon=13)
    # Mar..Dec 2024 repeat Mar..Dec 2023 (104 .. 122), Jan and Feb 2025 repeat Jan and Feb 2024,
    # and Mar 2025 (13 steps ahead) repeats Mar 2023 again.
    expected = FIRST_YEAR[2:] + [103, 108] + [104]
    assert out["yhat"].tolist() == pytest.approx(expected)
    assert out["ds"].tolist() == months("2024-03-01", 13)


def test_seasonal_interval_is_z_sigma_sqrt_seasons_ahead():
    out = seasonal_naive(FOURTEEN, horizon=13, level=80)
    seasons_ahead = np.array([1] * 12 + [2])
    half = z(80) * FOURTEEN_SIGMA * np.sqrt(seasons_ahead)
    assert z(80) == pytest.approx(1.2815515655446004)
    np.testing.assert_allclose(out["yhat_hi"] - out["yhat"], half)
    np.testing.assert_allclose(out["yhat"] - out["yhat_lo"], half)  # far from 0: not cut


def test_interval_uses_the_level():
    out = seasonal_naive(FOURTEEN, horizon=1, level=50)
    # z for 50 % is the 0.75 normal quantile, 0.6745
    assert out["yhat_hi"].iloc[0] - out["yhat"].iloc[0] == pytest.approx(0.6744897501960817 * FOURTEEN_SIGMA)


def test_short_series_gets_the_naive_forecast_with_lag_one_interval():
    short = series("b", "2024-01-01", [3, 5, 4, 8, 6])
    out = seasonal_naive(short, horizon=4)
    assert out["yhat"].tolist() == [6.0] * 4
    assert out["ds"].tolist() == months("2024-06-01", 4)
    # lag-1 residuals 2, -1, 4, -2: sigma = sqrt(25 / 4) = 2.5; half width z * 2.5 * sqrt(h)
    half = z(80) * 2.5 * np.sqrt([1, 2, 3, 4])
    np.testing.assert_allclose(out["yhat_hi"], 6 + half)
    # 6 - half is 2.80, 1.47, 0.45, then -0.41: the lower bound is cut at 0 (no negative history)
    np.testing.assert_allclose(out["yhat_lo"], np.maximum(6 - half, 0.0))
    assert out["yhat_lo"].iloc[2] == pytest.approx(0.4507, abs=1e-4)
    assert out["yhat_lo"].iloc[3] == 0.0
    assert out["yhat_lo"].iloc[0] == pytest.approx(6 - 1.2815515655446004 * 2.5)


def test_lower_bound_is_not_cut_for_a_series_with_negative_values():
    signed = series("c", "2024-01-01", [-3, 5, -4, 8, -6])
    out = seasonal_naive(signed, horizon=2)
    # residuals 8, -9, 12, -14: sigma = sqrt((64 + 81 + 144 + 196) / 4)
    sigma = math.sqrt(485 / 4)
    np.testing.assert_allclose(out["yhat_lo"], -6 - z(80) * sigma * np.sqrt([1, 2]))
    assert (out["yhat_lo"] < 0).all()


def test_one_month_series_gets_a_zero_width_interval():
    out = seasonal_naive(series("d", "2024-05-01", [7]), horizon=2)
    assert out["yhat"].tolist() == [7.0, 7.0]
    assert out["yhat_lo"].tolist() == [7.0, 7.0]
    assert out["yhat_hi"].tolist() == [7.0, 7.0]


def test_missing_months_count_as_zero():
    # Feb 2024 is missing from the 14-month series: seasonal naive for Feb 2025 must be 0.
    gappy = FOURTEEN[FOURTEEN["ds"] != pd.Timestamp("2024-02-01")]
    gappy = pd.concat([gappy, series("a", "2024-03-01", [110])], ignore_index=True)  # ends Mar 2024
    out = seasonal_naive(gappy, horizon=11)
    assert out["ds"].iloc[-1] == pd.Timestamp("2025-02-01")
    assert out["yhat"].iloc[-1] == 0.0


def test_each_series_uses_its_own_history():
    both = pd.concat([FOURTEEN, series("b", "2024-01-01", [3, 5, 4, 8, 6])], ignore_index=True)
    out = seasonal_naive(both, horizon=2)
    assert out["unique_id"].tolist() == ["a", "a", "b", "b"]
    assert out["ds"].tolist() == months("2024-03-01", 2) + months("2024-06-01", 2)
    assert out["yhat"].tolist() == [104.0, 106.0, 6.0, 6.0]


@pytest.mark.parametrize("season_length", [0, -1, 1.5, True])
def test_bad_season_length_raises(season_length):
    with pytest.raises(ValueError, match="season_length"):
        seasonal_naive(FOURTEEN, horizon=1, season_length=season_length)
