"""Forecast accuracy metrics, each defined once here (docs/forecasting.md carries the same definitions).

All take array-likes of equal length and return a float; NaN when the metric is undefined
(nothing to compare, or a zero denominator).
"""

from __future__ import annotations

import numpy as np

SEASON_LENGTH = 12


def _arrays(*values) -> list[np.ndarray]:
    arrays = [np.asarray(v, dtype=float).ravel() for v in values]
    if len({a.size for a in arrays}) > 1:
        raise ValueError(f"metric inputs must have the same length; got {[a.size for a in arrays]}")
    return arrays


def wape(y, yhat) -> float:
    """Weighted absolute percentage error: ``Σ|y − ŷ| / Σ|y|``."""
    y, yhat = _arrays(y, yhat)
    denominator = np.abs(y).sum()
    return float(np.abs(y - yhat).sum() / denominator) if denominator > 0 else float("nan")


def bias(y, yhat) -> float:
    """Relative bias: ``Σ(ŷ − y) / Σy``; positive when the forecast is too high."""
    y, yhat = _arrays(y, yhat)
    denominator = y.sum()
    return float((yhat - y).sum() / denominator) if denominator != 0 else float("nan")


def coverage(y, lo, hi) -> float:
    """Share of actuals inside their prediction interval, bounds included."""
    y, lo, hi = _arrays(y, lo, hi)
    return float(((lo <= y) & (y <= hi)).mean()) if y.size else float("nan")


def mase_scale(history, season_length: int = SEASON_LENGTH) -> float:
    """In-sample MAE of the seasonal naive forecast (``mean |y_t − y_{t−season}|``).

    Falls back to the lag-1 naive MAE (``mean |y_t − y_{t−1}|``) when the history has no more than
    ``season_length`` values; NaN with fewer than two values.
    """
    (history,) = _arrays(history)
    if history.size > season_length:
        return float(np.abs(history[season_length:] - history[:-season_length]).mean())
    if history.size >= 2:
        return float(np.abs(np.diff(history)).mean())
    return float("nan")


def mase(y, yhat, scale) -> float:
    """Mean absolute scaled error: ``mean(|y − ŷ| / scale)``, ``scale`` per point (its series' :func:`mase_scale`).

    Points whose scale is zero or undefined (a constant or one-month history) are left out.
    """
    y, yhat, scale = _arrays(y, yhat, scale)
    usable = np.isfinite(scale) & (scale > 0)
    return float((np.abs(y - yhat)[usable] / scale[usable]).mean()) if usable.any() else float("nan")
