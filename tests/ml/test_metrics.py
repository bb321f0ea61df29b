"""ml.metrics: each formula against numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml import metrics


def test_wape_is_total_absolute_error_over_total_absolute_actuals():
    # |10-12| + |20-15| = 7 over 10 + 20 = 30
    assert metrics.wape([10, 20], [12, 15]) == pytest.approx(7 / 30)


def test_wape_uses_absolute_actuals_in_the_denominator():
    # errors 5 + 5 = 10 over |-10| + |20| = 30
    assert metrics.wape([-10, 20], [-5, 25]) == pytest.approx(1 / 3)


def test_wape_accepts_pandas_series():
    assert metrics.wape(pd.Series([4.0, 0.0, 6.0]), pd.Series([5.0, 1.0, 6.0])) == pytest.approx(2 / 10)


@pytest.mark.parametrize("y, yhat", [([0, 0], [1, 2]), ([], [])], ids=["zero actuals", "empty"])
def test_wape_is_nan_without_a_denominator(y, yhat):
    assert math.isnan(metrics.wape(y, yhat))


def test_bias_is_signed_total_error_over_total_actuals():
    # (12-10) + (15-20) = -3 over 30: the forecast is 10 % too low
    assert metrics.bias([10, 20], [12, 15]) == pytest.approx(-0.1)
    # (12-10) + (13-10) = 5 over 20: 25 % too high
    assert metrics.bias([10, 10], [12, 13]) == pytest.approx(0.25)


@pytest.mark.parametrize("y, yhat", [([5, -5], [1, 1]), ([], [])], ids=["actuals sum to zero", "empty"])
def test_bias_is_nan_without_a_denominator(y, yhat):
    assert math.isnan(metrics.bias(y, yhat))


def test_coverage_counts_bounds_as_inside():
    # 1 in [0, 1] (upper bound), 2 in [2, 3] (lower bound), 3 not in [4, 5], 4 not in [0, 3]
    assert metrics.coverage([1, 2, 3, 4], [0, 2, 4, 0], [1, 3, 5, 3]) == 0.5


def test_coverage_is_nan_when_empty():
    assert math.isnan(metrics.coverage([], [], []))


def test_mase_scale_uses_the_seasonal_difference_when_longer_than_a_season():
    history = list(range(1, 13)) + [4, 20]  # 14 values: |4 - 1| = 3 and |20 - 2| = 18
    assert metrics.mase_scale(history) == pytest.approx(10.5)


def test_mase_scale_with_thirteen_values_has_one_seasonal_difference():
    history = [7, 1, 9, 2, 8, 3, 7, 4, 6, 5, 5, 6, 10]  # |10 - 7| = 3; lag-1 MAE would differ
    assert metrics.mase_scale(history) == pytest.approx(3.0)


def test_mase_scale_falls_back_to_lag_one_at_exactly_one_season():
    history = [3, 5, 4, 8] + [8] * 8  # 12 values: |2| + |-1| + |4| + 0 * 8 = 7 over 11 differences
    assert metrics.mase_scale(history) == pytest.approx(7 / 11)


def test_mase_scale_respects_a_custom_season_length():
    # season 2, four values: |2 - 1| and |7 - 3|
    assert metrics.mase_scale([1, 3, 2, 7], season_length=2) == pytest.approx(2.5)
    # season 4, four values: not longer than a season, lag 1: (2 + 1 + 5) / 3
    assert metrics.mase_scale([1, 3, 2, 7], season_length=4) == pytest.approx(8 / 3)


@pytest.mark.parametrize("history", [[5.0], []], ids=["one value", "empty"])
def test_mase_scale_is_nan_with_fewer_than_two_values(history):
    assert math.isnan(metrics.mase_scale(history))


def test_mase_divides_each_error_by_its_own_scale():
    # |10-12| / 2 = 1 and |20-15| / 2.5 = 2
    assert metrics.mase([10, 20], [12, 15], [2, 2.5]) == pytest.approx(1.5)


def test_mase_leaves_out_points_with_zero_or_undefined_scale():
    # 2/2 = 1, (scale NaN: out), 6/4 = 1.5, (scale 0: out)
    assert metrics.mase([10, 20, 30, 40], [12, 15, 36, 0], [2, np.nan, 4, 0]) == pytest.approx(1.25)


def test_mase_is_nan_when_no_point_has_a_scale():
    assert math.isnan(metrics.mase([10, 20], [12, 15], [0, np.nan]))


@pytest.mark.parametrize(
    "call",
    [
        lambda: metrics.wape([1, 2, 3], [1, 2]),
        lambda: metrics.bias([1, 2], [1, 2, 3]),
        lambda: metrics.coverage([1, 2], [0, 0], [3]),
        lambda: metrics.mase([1, 2], [1, 2], [1, 1, 1]),
    ],
    ids=["wape", "bias", "coverage", "mase"],
)
def test_length_mismatch_raises(call):
    with pytest.raises(ValueError, match="same length"):
        call()
