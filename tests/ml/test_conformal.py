"""Split-conformal interval offsets: absolute-error ranks, step pooling, and per hierarchy level."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from ml.forecasting import GlobalForecaster, _conformal_offsets, _conformal_quantiles, _Features, _min_conformal_points
from ml.panel import to_panel


def test_offsets_are_the_conformal_rank_of_the_absolute_errors():
    residuals = np.array([-10.0, 1.0, 2.0, 3.0, 4.0])
    # |e| sorted 1 2 3 4 10; rank ⌈6·0.8⌉ = 5: the one large error sets both sides
    assert _conformal_quantiles(residuals, 0.2) == (-10.0, 10.0)
    pairs = np.concatenate([-np.arange(1.0, 16.0), np.arange(1.0, 16.0)])  # |e| = 1 1 2 2 … 15 15
    assert _conformal_quantiles(pairs, 0.2) == (-13.0, 13.0)  # rank ⌈31·0.8⌉ = 25: the value 13
    assert _conformal_quantiles(pairs, 0.05) == (-15.0, 15.0)  # rank ⌈31·0.95⌉ = 30


def test_a_step_without_enough_errors_uses_the_pooled_ones_times_root_step():
    pairs = np.concatenate([-np.arange(1.0, 16.0), np.arange(1.0, 16.0)])  # 30 errors, all of step 1
    lo, hi = _conformal_offsets(pairs, np.ones(30, dtype=int), horizon=2, level=80)
    np.testing.assert_allclose(hi, [13.0, 13.0 * math.sqrt(2)])
    np.testing.assert_allclose(lo, [-13.0, -13.0 * math.sqrt(2)])


@pytest.mark.parametrize("level", [50, 80, 90, 95, 99])
def test_min_conformal_points_is_the_smallest_sample_whose_rank_fits(level):
    alpha_complement = Fraction(level, 100)
    smallest = next(n for n in range(1, 1000) if math.ceil((n + 1) * alpha_complement) <= n)
    assert _min_conformal_points(level) == smallest


def test_min_conformal_points_of_the_usual_levels():
    assert (_min_conformal_points(80), _min_conformal_points(95)) == (4, 19)


def test_a_hierarchy_level_with_enough_errors_for_the_widest_level_gets_its_own_offsets():
    """Level a has 19 errors (enough at 95 %: ⌈20·0.95⌉ = 19), level b 18 (not): b uses everyone's."""
    months = pd.date_range("2021-01-01", periods=24, freq="MS")
    wave = np.sin(np.arange(24))  # negative values: bounds are not cut at 0
    panel = to_panel(pd.DataFrame({"unique_id": np.repeat(["a", "b"], 24), "ds": np.tile(months, 2), "y": np.concatenate([wave, 3 * wave])}))
    features = _Features(panel, 1)
    small = np.concatenate([-np.arange(1.0, 10.0), np.arange(1.0, 10.0), [10.0]])  # |e| = 1 1 … 9 9 10
    residuals = np.concatenate([small, np.full(18, 100.0)])
    groups = (np.array(["a", "b"]), np.array(["a"] * 19 + ["b"] * 18))
    forecaster = GlobalForecaster(horizon=1, levels=[80, 95])
    _, bounds = forecaster._finish(panel, features, np.zeros((2, 1)), residuals, np.ones(37, dtype=int), groups)
    scale = features.error[:, -1]
    # a: its own 19 errors, ranks 16 (80 %) and 19 (95 %); b: all 37, ranks 31 and 37 are 100s
    np.testing.assert_allclose(bounds[80][1].ravel(), [8.0 * scale[0], 100.0 * scale[1]])
    np.testing.assert_allclose(bounds[95][1].ravel(), [10.0 * scale[0], 100.0 * scale[1]])
    np.testing.assert_allclose(bounds[80][0].ravel(), [-8.0 * scale[0], -100.0 * scale[1]])
