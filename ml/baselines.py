"""Baseline forecasts that any model must beat."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from ml.forecasting import hierarchy_frame
from ml.hierarchy import Hierarchy
from ml.panel import ID, to_panel, validate_monthly


def seasonal_naive(
    df: pd.DataFrame,
    horizon: int,
    season_length: int = 12,
    level: float | Sequence[float] = 80,
    hierarchy: Hierarchy | None = None,
) -> pd.DataFrame:
    """Each future month repeats the same month of the last observed season.

    ``ŷ[T+h] = y[T + h − season_length·⌈h/season_length⌉]``. A series shorter than one season gets
    the naive forecast instead (its last value). Intervals come from the series' own in-sample
    residuals (``y_t − y_{t−season}``, or ``y_t − y_{t−1}`` for the naive fallback), assumed normal
    with standard deviation ``σ = sqrt(mean(residual²))``, widening with the number of seasons
    ``k`` (or steps) ahead: ``ŷ ± z·σ·√k``. A series without residuals gets a zero-width interval.
    Lower bounds are cut at 0 for series without negative values.

    Input and output as :func:`ml.forecasting.forecast` (several levels, a hierarchy: the same
    extra columns); missing months inside a series count as 0. Seasonal naive is linear, so the
    forecasts of a hierarchy's nodes add up without reconciliation.
    """
    if isinstance(season_length, bool) or not isinstance(season_length, (int, np.integer)) or season_length < 1:
        raise ValueError(f"season_length must be a positive whole number of months; got {season_length!r}")
    levels = list(level) if isinstance(level, (list, tuple)) else [level]
    frame = validate_monthly(df, horizon, levels[0])
    panel = to_panel(frame if hierarchy is None else hierarchy_frame(frame, hierarchy))
    values, width = panel.values, panel.width
    steps = np.arange(1, horizon + 1)
    last = values[:, -1]

    seasonal = panel.lengths >= season_length
    seasons_ahead = np.ceil(steps / season_length).astype(int)
    seasonal_columns = width - 1 + steps - season_length * seasons_ahead
    yhat = np.where(seasonal[:, None], values[:, np.clip(seasonal_columns, 0, None)], last[:, None])

    seasonal_sigma = _residual_sigma(values, season_length)
    naive_sigma = _residual_sigma(values, 1)
    sigma = np.where(seasonal, seasonal_sigma, naive_sigma)
    spread = np.where(seasonal[:, None], np.sqrt(seasons_ahead)[None, :], np.sqrt(steps)[None, :])
    non_negative = np.nanmin(values, axis=1) >= 0
    bounds = {}
    for lvl in levels:
        half = NormalDist().inv_cdf(0.5 + lvl / 200) * sigma[:, None] * spread
        lo = np.where(non_negative[:, None], np.maximum(yhat - half, 0.0), yhat - half)
        bounds[lvl] = (lo, yhat + half)
    out = panel.forecast_frame(yhat, *bounds[levels[0]])
    if len(levels) > 1:
        for lvl in levels:
            out[f"yhat_lo_{lvl:g}"], out[f"yhat_hi_{lvl:g}"] = bounds[lvl][0].ravel(), bounds[lvl][1].ravel()
    return out if hierarchy is None else out.join(hierarchy.level_of(), on=ID)


def _residual_sigma(values: np.ndarray, lag: int) -> np.ndarray:
    """Root mean square of ``y_t − y_{t−lag}`` per row; 0 where a row has no such pair."""
    if values.shape[1] <= lag:
        return np.zeros(values.shape[0])
    residuals = values[:, lag:] - values[:, :-lag]
    count = np.sum(~np.isnan(residuals), axis=1)
    total = np.nansum(residuals**2, axis=1)
    return np.sqrt(np.divide(total, count, out=np.zeros_like(total), where=count > 0))
