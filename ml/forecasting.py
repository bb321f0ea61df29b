"""Monthly demand forecasts with prediction intervals: one global gradient-boosting model for all series.

:func:`forecast` is the public entry point. The method (docs/forecasting.md has the long version):

* **Scaling.** Every training example is a (series, origin month, step ahead) triple. Its
  features and target are divided by the series' level at the origin (mean absolute value of the
  last 12 months), so one model learns shapes shared by big and small series.
* **Features.** Lags 1–12, rolling means over 3 and 6 months, the same month one and two seasons
  before the target, the series' seasonal index of the target month (from its own history),
  year-on-year growth, share of zero months, variability, history length, level, the target's
  calendar month and the step ahead (a direct multi-horizon model: the step is a feature).
* **Model.** ``HistGradientBoostingRegressor`` (squared error, fixed ``random_state``); history
  that a series does not have yet is a missing value, which the model handles natively, so the
  early months of long series teach it how to forecast short ones.
* **Baseline blend.** The last months of every series are held out once (rolling origins over
  ``max(horizon, 6)`` months); a model fitted without them forecasts them, and so does a robust
  baseline (seasonal naive, or the mean of the last three months for series younger than a
  season). The blend weight of model and baseline that gives the lowest absolute error there is
  kept; with too little data the model is skipped and the baseline is the forecast.
* **Intervals.** Split conformal: the held-out errors, divided by each series' in-sample naive
  error scale, give per-step quantiles; each forecast's interval is those quantiles times its
  series' scale. Lower bounds are cut at 0 for series without negative history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from ml.panel import Panel, to_panel, validate_monthly

MODEL_NAME = "global_gbm"
SEASON = 12
MIN_TRAIN_ROWS = 200  # fewer training examples than this: the model is skipped, the baseline forecasts
MIN_CALIBRATION_MONTHS = 6  # held-out months per series for the blend weight and the intervals
MAX_TRAIN_ORIGINS = 60  # most recent origins per series used for training (older history still feeds features)
MIN_STEP_RESIDUALS = 30  # fewer held-out errors for a step than this: use the pooled errors of all steps
BLEND_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
TARGET_CAP = 20.0  # scaled training targets above this (a sleeping series waking up) are capped
RANDOM_STATE = 0
USE_WEIGHTS = False
ERROR_SCALE = "naive_mae"
ANCHOR = "structural_12"
TARGET_UNITS = "level"
SAMPLE = "uniform"
MAX_TRAIN_ROWS = 30_000  # larger training sets are subsampled (fixed seed): accuracy plateaus well before
THREADS = 1  # OpenMP threads per fit; one avoids oversubscription when several runs share the cores
MODEL_PARAMS = dict(
    loss="squared_error",
    learning_rate=0.1,
    max_iter=100,
    max_leaf_nodes=15,
    min_samples_leaf=30,
    l2_regularization=1.0,
    max_bins=63,
    early_stopping=False,
)


def forecast(df: pd.DataFrame, horizon: int, level: int = 80) -> pd.DataFrame:
    """Forecast every series ``horizon`` months past its own last month, with a ``level``% interval.

    ``df``: long frame with ``unique_id``, ``ds`` (month starts) and ``y``; missing months inside
    a series count as 0. Returns ``unique_id``, ``ds``, ``yhat``, ``yhat_lo``, ``yhat_hi`` sorted
    by series then month, with ``yhat_lo ≤ yhat ≤ yhat_hi``. Nothing is kept between calls.
    """
    panel = to_panel(validate_monthly(df, horizon, level))
    yhat, lo, hi = GlobalForecaster(horizon=horizon, level=level).fit_predict(panel)
    return panel.forecast_frame(yhat, lo, hi)


@dataclass
class GlobalForecaster:
    """One fit-and-forecast on a :class:`~ml.panel.Panel`; exposes what it chose for inspection."""

    horizon: int
    level: float = 80
    blend_weight: float | None = None  # share of the model in the forecast, set by fit_predict
    n_train_rows: int = 0
    n_calibration_rows: int = 0

    def fit_predict(self, panel: Panel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Point forecasts and interval bounds, each an ``(n_series, horizon)`` array."""
        with threadpool_limits(limits=THREADS, user_api="openmp"):
            return self._fit_predict(panel)

    def _fit_predict(self, panel: Panel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        features = _Features(panel, self.horizon)
        width = panel.width
        holdout = min(max(self.horizon, MIN_CALIBRATION_MONTHS), width - 1)

        # 1. Calibration: fit without the last `holdout` months, forecast them from rolling origins.
        cal_fit = features.triples(target_max=width - 1 - holdout)
        cal = features.triples(origin_min=width - 1 - holdout)
        self.n_calibration_rows = len(cal[0])
        cal_model = _fit(features, cal_fit) if len(cal_fit[0]) >= MIN_TRAIN_ROWS else None
        cal_base = features.baseline(*cal)
        cal_y = features.target(*cal)
        if cal_model is None:
            self.blend_weight = 0.0
            cal_pred = cal_base
        else:
            cal_model_pred = features.predict(cal_model, *cal)
            self.blend_weight = _best_weight(cal_y, cal_model_pred, cal_base)
            import os
            if os.environ.get("MLX_DEBUG"): print("blend", self.blend_weight, len(cal_fit[0]), self.n_calibration_rows)
            cal_pred = self.blend_weight * cal_model_pred + (1 - self.blend_weight) * cal_base

        # 2. The forecast: refit on everything when the model is used, then blend.
        n, steps = panel.n_series, np.arange(1, self.horizon + 1)
        rows = (np.repeat(np.arange(n), self.horizon), np.full(n * self.horizon, width - 1), np.tile(steps, n))
        yhat = features.baseline(*rows)
        if self.blend_weight > 0:
            train = features.triples()
            self.n_train_rows = len(train[0])
            model = _fit(features, train)
            yhat = self.blend_weight * features.predict(model, *rows) + (1 - self.blend_weight) * yhat

        # 3. Conformal intervals from the calibration errors, scaled per series.
        offsets = _conformal_offsets(
            residuals=(cal_y - cal_pred) / features.error_scale(cal[0], cal[1]),
            steps=cal[2],
            horizon=self.horizon,
            level=self.level,
        )
        scale = features.error_scale(rows[0], rows[1])
        lo = yhat + offsets[0][rows[2] - 1] * scale
        hi = yhat + offsets[1][rows[2] - 1] * scale

        dormant = ~features.has_level(rows[0], rows[1])  # nothing but zeros so far: forecast 0
        yhat, lo, hi = (np.where(dormant, 0.0, a) for a in (yhat, lo, hi))
        non_negative = (np.nanmin(panel.values, axis=1) >= 0)[rows[0]]
        yhat = np.where(non_negative, np.maximum(yhat, 0.0), yhat)
        lo = np.where(non_negative, np.maximum(lo, 0.0), lo)
        lo, hi = np.minimum(lo, yhat), np.maximum(hi, yhat)
        shape = (n, self.horizon)
        return yhat.reshape(shape), lo.reshape(shape), hi.reshape(shape)


class _Features:
    """Everything the model needs about a panel, precomputed as ``(n_series, width)`` matrices.

    A row of the design matrix is a triple (series ``i``, origin column ``t``, step ``h``): the
    forecast made at the end of month ``t`` for month ``t + h``.
    """

    N_LAGS = 12
    NAMES = [
        "step",
        "target_month",
        *[f"lag_{k}" for k in range(1, N_LAGS + 1)],
        "mean_3",
        "mean_6",
        "same_month_1y",
        "same_month_2y",
        "seasonal_index",
        "structural_12",
        "structural_3",
        "yoy_growth",
        "zero_share",
        "variation",
        "history_months",
        "log_level",
    ]
    CATEGORICAL = [1]

    def __init__(self, panel: Panel, horizon: int) -> None:
        self.panel, self.horizon = panel, horizon
        values = panel.values
        n, width = values.shape
        self.width = width
        # Left padding so that looking back (lags, seasons before the first month) never wraps around.
        self.pad = SEASON * (math.ceil(horizon / SEASON) + 2)
        self.y = np.hstack([np.full((n, self.pad), np.nan), values])
        self.first = width - panel.lengths  # first observed column of each series

        observed = ~np.isnan(values)
        filled = np.where(observed, values, 0.0)
        self.mean_3 = _trailing_mean(filled, observed, 3)
        self.mean_6 = _trailing_mean(filled, observed, 6)
        mean_12 = _trailing_mean(filled, observed, 12)
        abs_12 = _trailing_mean(np.abs(filled), observed, 12)
        abs_all = _trailing_mean(np.abs(filled), observed, width)
        self.scale = np.where(abs_12 > 0, abs_12, np.where(abs_all > 0, abs_all, np.nan))
        square_12 = _trailing_mean(filled**2, observed, 12)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.variation = np.sqrt(np.maximum(square_12 - mean_12**2, 0)) / self.scale
            self.zero_share = _trailing_mean((filled == 0) & observed, observed, 12)
            count_12 = _trailing_count(observed, 12)
            full_year_mean = np.where(count_12 == 12, mean_12, np.nan)
            previous_year = np.hstack([np.full((n, 12), np.nan), full_year_mean[:, :-12]]) if width > 12 else np.full((n, width), np.nan)
            self.yoy = np.where(previous_year > 0, full_year_mean / previous_year, np.nan)
            ratio = np.where(full_year_mean > 0, filled / full_year_mean, np.nan)
        self.history = np.cumsum(observed, axis=1)
        # Seasonal index of each calendar month: mean ratio of a month to its trailing 12-month
        # mean, normalised to average 1 over the last 12 months' indices.
        raw_index = _same_month_mean(ratio)
        known_index = np.isfinite(raw_index)
        index_norm = _trailing_mean(np.where(known_index, raw_index, 0.0), known_index, 12)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.seasonal_index = np.where(index_norm > 0, raw_index / index_norm, np.nan)
            # Structural forecasts (classical decomposition): level × seasonal index × growth.
            self.mean_12 = mean_12
            self.growth = np.clip(np.where(np.isfinite(self.yoy), self.yoy, 1.0), 0.5, 2.0)
            deseasonalised = np.where(self.seasonal_index > 0.05, filled / self.seasonal_index, filled)
            self.recent_level = _trailing_mean(deseasonalised, observed, 3)
        # Error scale of the conformal intervals: in-sample MAE of the seasonal naive forecast
        # (lag-1 naive before a full season plus one month), floored at 10% of the level.
        seasonal_mae = _lagged_mae(values, SEASON)
        naive_mae = _lagged_mae(values, 1)
        mae = np.where(self.history > SEASON, seasonal_mae, naive_mae)
        floor = 0.1 * self.scale
        self.error = np.where(np.isfinite(mae), np.maximum(mae, floor), self.scale)
        if ERROR_SCALE == "level":
            self.error = self.scale

    # --- rows -----------------------------------------------------------------------------
    def triples(self, origin_min: int = 0, target_max: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (series, origin, step) triples with an observed target and a known level at the origin."""
        target_max = self.width - 1 if target_max is None else target_max
        origin_min = max(origin_min, self.width - 1 - MAX_TRAIN_ORIGINS - self.horizon)
        n = self.panel.n_series
        origins = np.arange(origin_min, self.width - 1)
        if origins.size == 0:
            return (np.empty(0, int),) * 3  # type: ignore[return-value]
        i, t, h = np.meshgrid(np.arange(n), origins, np.arange(1, self.horizon + 1), indexing="ij")
        i, t, h = i.ravel(), t.ravel(), h.ravel()
        keep = (t + h <= target_max) & (t >= self.first[i])
        i, t, h = i[keep], t[keep], h[keep]
        keep = self.has_level(i, t)
        return i[keep], t[keep], h[keep]

    def has_level(self, i: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.isfinite(self.scale[i, t])

    def _y(self, i: np.ndarray, column: np.ndarray) -> np.ndarray:
        return self.y[i, column + self.pad]

    # --- design matrix, target, baseline --------------------------------------------------
    def design(self, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        scale = self.scale[i, t]
        seasons_back = np.ceil(h / SEASON).astype(int) * SEASON
        same_month = t + h - seasons_back  # the latest observed column in the target's calendar month
        target_month = (self.panel.last_month[i] + t + h - (self.width - 1)) % SEASON
        index = np.where(same_month >= 0, self.seasonal_index[i, np.maximum(same_month, 0)], np.nan)
        seasonal = np.where(np.isfinite(index), index, 1.0)
        columns = [
            h,
            target_month,
            *[self._y(i, t - k + 1) / scale for k in range(1, self.N_LAGS + 1)],
            self.mean_3[i, t] / scale,
            self.mean_6[i, t] / scale,
            self._y(i, same_month) / scale,
            self._y(i, same_month - SEASON) / scale,
            index,
            self.mean_12[i, t] * seasonal * self.growth[i, t] ** ((h + 5.5) / 12) / scale,
            self.recent_level[i, t] * seasonal * self.growth[i, t] ** ((h + 1) / 12) / scale,
            self.yoy[i, t],
            self.zero_share[i, t],
            self.variation[i, t],
            np.minimum(self.history[i, t], 48),
            np.log1p(scale),
        ]
        return np.column_stack(columns).astype(np.float64)

    def anchor(self, design: np.ndarray) -> np.ndarray:
        """The structural forecast (scaled) the model corrects: it learns the residual from it."""
        if ANCHOR is None:
            return np.zeros(len(design))
        return np.nan_to_num(design[:, self.NAMES.index(ANCHOR)])

    def target(self, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        return self._y(i, t + h)

    def baseline(self, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Seasonal naive once a series has a full season, before that the mean of its last three months."""
        same_month = t + h - np.ceil(h / SEASON).astype(int) * SEASON
        seasonal = self._y(i, same_month)
        return np.where(self.history[i, t] >= SEASON, seasonal, self.mean_3[i, t])

    def unit(self, i, t):
        return self.scale[i, t] if TARGET_UNITS == "level" else self.error[i, t]

    def error_scale(self, i: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.error[i, t]

    def predict(self, model: HistGradientBoostingRegressor, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        scale = self.scale[i, t]
        prediction = np.zeros(len(i))
        known = np.isfinite(scale)
        if known.any():
            design = self.design(i[known], t[known], h[known])
            unit = self.unit(i[known], t[known])
            prediction[known] = self.anchor(design) * scale[known] + model.predict(design) * unit
        return prediction


def _fit(features: _Features, rows: tuple[np.ndarray, np.ndarray, np.ndarray]) -> HistGradientBoostingRegressor:
    i, t, h = rows
    rng = np.random.default_rng(RANDOM_STATE)
    if SAMPLE == "error":
        wgt = features.error[i, t]; wgt = wgt / wgt.sum()
        keep = np.sort(rng.choice(len(i), MAX_TRAIN_ROWS, replace=True, p=wgt))
        i, t, h = i[keep], t[keep], h[keep]
    elif len(i) > MAX_TRAIN_ROWS:
        keep = np.sort(rng.choice(len(i), MAX_TRAIN_ROWS, replace=False))
        i, t, h = i[keep], t[keep], h[keep]
    scale = features.scale[i, t]
    model = HistGradientBoostingRegressor(**MODEL_PARAMS, categorical_features=features.CATEGORICAL, random_state=RANDOM_STATE)
    design = features.design(i, t, h)
    # A feature no training row has (say, last year's month in a young panel) is set constant, so
    # the model ignores it (scikit-learn's binning rejects all-missing columns).
    design[:, np.isnan(design).all(axis=0)] = 0.0
    unit = features.unit(i, t)
    target = (features.target(i, t, h) - features.anchor(design) * scale) / unit
    target = np.clip(target, -TARGET_CAP, TARGET_CAP)
    # Weighting by level makes the squared error in scaled units track the absolute error in units.
    return model.fit(design, target, sample_weight=scale / scale.mean() if USE_WEIGHTS else None)


def _best_weight(y: np.ndarray, model: np.ndarray, baseline: np.ndarray) -> float:
    """The blend weight of the model with the lowest total absolute error (ties go to the model)."""
    errors = [np.abs(y - (w * model + (1 - w) * baseline)).sum() for w in BLEND_WEIGHTS]
    best = min(errors)
    return max(w for w, e in zip(BLEND_WEIGHTS, errors) if e <= best * (1 + 1e-9))


def _conformal_offsets(residuals: np.ndarray, steps: np.ndarray, horizon: int, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper interval offsets per step, in units of the series' error scale.

    Per step: the empirical quantiles of the held-out scaled errors (split-conformal ranks). A step
    with fewer than MIN_STEP_RESIDUALS errors uses the errors of all steps, normalised by
    ``√step``; without any held-out error, a normal interval ``±z·1.25·√step`` (1.25 = standard
    deviation over mean absolute deviation of a normal distribution).
    """
    alpha = 1 - level / 100
    finite = np.isfinite(residuals)
    residuals, steps = residuals[finite], steps[finite]
    pooled = residuals / np.sqrt(steps)
    lo, hi = np.empty(horizon), np.empty(horizon)
    z = NormalDist().inv_cdf(1 - alpha / 2)
    for step in range(1, horizon + 1):
        own = residuals[steps == step]
        if own.size >= MIN_STEP_RESIDUALS:
            lo[step - 1], hi[step - 1] = _conformal_quantiles(own, alpha)
        elif pooled.size:
            q_lo, q_hi = _conformal_quantiles(pooled, alpha)
            lo[step - 1], hi[step - 1] = q_lo * math.sqrt(step), q_hi * math.sqrt(step)
        else:
            lo[step - 1], hi[step - 1] = -z * 1.25 * math.sqrt(step), z * 1.25 * math.sqrt(step)
    return lo, hi


def _conformal_quantiles(residuals: np.ndarray, alpha: float) -> tuple[float, float]:
    """The ⌊(n+1)·α/2⌋-th and ⌈(n+1)·(1−α/2)⌉-th smallest errors (clipped to the sample)."""
    ordered = np.sort(residuals)
    n = ordered.size
    lo = min(max(math.floor((n + 1) * alpha / 2) - 1, 0), n - 1)
    hi = min(max(math.ceil((n + 1) * (1 - alpha / 2)) - 1, 0), n - 1)
    return float(ordered[lo]), float(ordered[hi])


def _trailing_count(observed: np.ndarray, window: int) -> np.ndarray:
    counts = np.cumsum(np.hstack([np.zeros((observed.shape[0], 1)), observed]), axis=1)
    start = np.maximum(np.arange(1, observed.shape[1] + 1) - window, 0)
    return counts[:, 1:] - counts[:, start]


def _trailing_mean(values: np.ndarray, observed: np.ndarray, window: int) -> np.ndarray:
    """Mean of the observed values among the last ``window`` columns up to each column; NaN if none."""
    values = np.where(observed, values, 0.0).astype(float)
    sums = np.cumsum(np.hstack([np.zeros((values.shape[0], 1)), values]), axis=1)
    start = np.maximum(np.arange(1, values.shape[1] + 1) - window, 0)
    total = sums[:, 1:] - sums[:, start]
    count = _trailing_count(observed, window)
    return np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0)


def _lagged_mae(values: np.ndarray, lag: int) -> np.ndarray:
    """Mean of ``|y_s − y_{s−lag}|`` over all ``s`` up to each column; NaN before any pair exists."""
    n, width = values.shape
    if width <= lag:
        return np.full((n, width), np.nan)
    diffs = np.hstack([np.full((n, lag), np.nan), np.abs(values[:, lag:] - values[:, :-lag])])
    observed = ~np.isnan(diffs)
    return _trailing_mean(np.nan_to_num(diffs), observed, width)


def _same_month_mean(ratio: np.ndarray) -> np.ndarray:
    """Mean of ``ratio`` over the same column modulo 12 (same calendar month) up to each column."""
    n, width = ratio.shape
    observed = np.isfinite(ratio)
    filled = np.where(observed, ratio, 0.0)
    total, count = filled.copy(), observed.astype(float)
    for column in range(SEASON, width):
        total[:, column] += total[:, column - SEASON]
        count[:, column] += count[:, column - SEASON]
    return np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0)
