"""Monthly demand forecasts with prediction intervals: a global gradient-boosting model, blended.

:func:`forecast` is the public entry point; docs/forecasting.md has the long version.

* **Global model.** One ``HistGradientBoostingRegressor`` for all series. A training example is a
  (series, origin month, step ahead) triple; values and target are measured from the series'
  12-month mean at the origin in units of its error scale (in-sample seasonal-naive MAE), so big
  and small, smooth and noisy series share one model. Features: lags 1–12, recent means, the
  target's month one and two years before, raw and harmonic-smoothed seasonal indices, growth,
  zero share, variability, history length, level, signal-to-noise, the structural forecast, the
  target's calendar month and the step (direct multi-horizon). Missing history is a missing value.
* **Blend.** Three simple parts sit beside it: structural (12-month mean × smoothed seasonal index
  × yearly growth), damped Holt-Winters (additive or, for positive series, multiplicative; its
  parameters chosen per series from a grid) and seasonal naive. The last ``max(horizon, 6)``
  months of every series (a fifth of a long history, up to 24) are held out once: weights in
  quarters are chosen for the panel on
  error-scaled held-out errors, then per series, shrunk towards the panel's.
* **Intervals.** Split conformal on the absolute held-out errors of the panel's blend (reconciled,
  with a hierarchy), symmetric around the forecast, scaled per series, per step and per hierarchy
  level; several levels at once.
* **Hierarchy.** With an :class:`ml.hierarchy.Hierarchy` every node is forecast in one panel and
  the forecasts are reconciled (bottom-up or MinT with shrinkage) so that they add up.
* **Deterministic and stateless:** fixed seeds, nothing kept between calls.
"""

from __future__ import annotations

import itertools
import math
from functools import partial
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from ml.hierarchy import METHODS as RECONCILIATION_METHODS
from ml.hierarchy import Hierarchy, coherent_non_negative, reconciler
from ml.panel import DS, ID, Y, Panel, to_panel, validate_monthly
from ml.threads import boosting_threads

MODEL_NAME = "global_gbm"
SEASON = 12
RANDOM_STATE = 0
MIN_TRAIN_ROWS = 200  # fewer training examples than this: no gradient boosting, the simple parts forecast
MAX_TRAIN_ROWS = 30_000  # larger training sets are subsampled (fixed seed); accuracy has plateaued by then
MAX_TRAIN_ORIGINS = 60  # most recent origins per series used for training (older months still feed features)
MAX_CALIBRATION_MONTHS = 24  # long histories hold out a fifth of their months, up to this many
MIN_CALIBRATION_MONTHS = 6  # months held out per series to choose the blend and calibrate the intervals
MIN_CALIBRATION_POINTS = 20  # fewer held-out forecasts than this: the structural forecast alone
CALIBRATION_WINDOWS = 2  # hold-out windows whose errors calibrate the intervals: the latest (it also picks the blend) and the one before
DEFAULT_RECONCILIATION = "bottom_up"  # without a backtest: it estimates nothing (on the demo company MinT-shrink wins by a hair, docs/forecasting.md)
MIN_STEP_RESIDUALS = 30  # fewer held-out errors for a step than this: use the pooled errors of all steps
MIN_HALF_WIDTH = 0.05  # an interval reaches at least this many error scales × √step each side: never zero width
INTERMITTENT_ZERO_SHARE = 0.3  # a series with at least this share of zero months in the last year is forecast flat by the structural part
SERIES_SHRINK_POINTS = 12  # held-out forecasts worth as much as the panel's blend in a series' own weights
BLEND_STEPS = 4  # blend weights are multiples of 1/4
TARGET_CAP = 20.0  # scaled training targets beyond ±this (a sleeping series waking up) are capped
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


def forecast(
    df: pd.DataFrame,
    horizon: int,
    level: float | Sequence[float] = 80,
    hierarchy: Hierarchy | None = None,
    reconciliation: str = DEFAULT_RECONCILIATION,
) -> pd.DataFrame:
    """Forecast every series ``horizon`` months past its own last month, with ``level``% intervals.

    ``df``: long frame with ``unique_id``, ``ds`` (month starts) and ``y``; missing months inside
    a series count as 0. Returns ``unique_id``, ``ds``, ``yhat``, ``yhat_lo``, ``yhat_hi`` sorted
    by series then month, with ``yhat_lo ≤ yhat ≤ yhat_hi``. With several levels (``(80, 95)``)
    every level adds ``yhat_lo_<level>`` and ``yhat_hi_<level>``; ``yhat_lo``/``yhat_hi`` are the
    first level's. With a ``hierarchy`` (:class:`ml.hierarchy.Hierarchy`; ``df`` holds its bottom
    series) every node is forecast, reconciled by ``reconciliation`` (``bottom_up`` or
    ``mint_shrink``) so that each aggregate is the sum of its bottom series, and the output gains
    ``hierarchy_level``. Nothing is kept between calls.
    """
    levels = _levels(level)
    if reconciliation not in RECONCILIATION_METHODS:
        raise ValueError(f"reconciliation must be one of {RECONCILIATION_METHODS}; got {reconciliation!r}")
    if hierarchy is not None:
        return forecast_reconciliations(df, horizon, levels, hierarchy, [reconciliation])[reconciliation]
    panel = to_panel(validate_monthly(df, horizon, levels[0]))
    yhat, bounds = GlobalForecaster(horizon=horizon, level=levels[0], levels=levels).fit_predict_levels(panel)
    return _output(panel.forecast_frame(yhat, *bounds[levels[0]]), panel, bounds, levels)


def forecast_reconciliations(
    df: pd.DataFrame, horizon: int, level: float | Sequence[float], hierarchy: Hierarchy, reconciliations: Sequence[str]
) -> dict[str, pd.DataFrame]:
    """:func:`forecast` with a ``hierarchy``, once per reconciliation method, keyed by method.

    The base forecasts (the fits, nearly all the cost) do not depend on the reconciliation: they are
    made once and reconciled each way, with the same result as one :func:`forecast` per method.
    """
    levels = _levels(level)
    frame = validate_monthly(df, horizon, levels[0])
    panel = to_panel(hierarchy_frame(frame, hierarchy))
    forecaster = GlobalForecaster(horizon=horizon, level=levels[0], levels=levels)
    with boosting_threads():
        base = forecaster._base(panel)
    forecasts = {}
    for method in reconciliations:
        yhat, bounds = forecaster.reconcile(panel, hierarchy, method, base)
        out = _output(panel.forecast_frame(yhat, *bounds[levels[0]]), panel, bounds, levels)
        forecasts[method] = out.join(hierarchy.level_of(), on=ID)
    return forecasts


class SharedFitReconciliations:
    """One backtest model per reconciliation method (``model(method)``, called like :func:`forecast`)
    that share their fits: the first call on a training frame forecasts it with every method
    (:func:`forecast_reconciliations`), the others on the same frame take their forecast from it."""

    def __init__(self, reconciliations: Sequence[str]):
        self.reconciliations = list(reconciliations)
        self._key: tuple | None = None  # the training frame's columns and content, horizon, levels
        self._hierarchy: Hierarchy | None = None
        self._forecasts: dict[str, pd.DataFrame] = {}

    def model(self, reconciliation: str):
        if reconciliation not in self.reconciliations:
            raise ValueError(f"reconciliation must be one of {self.reconciliations}; got {reconciliation!r}")
        return partial(self._forecast, reconciliation=reconciliation)

    def _forecast(self, df: pd.DataFrame, horizon: int, level: float | Sequence[float] = 80, hierarchy: Hierarchy | None = None, *, reconciliation: str) -> pd.DataFrame:
        if hierarchy is None:
            return forecast(df, horizon, level, reconciliation=reconciliation)
        key = (tuple(df.columns), pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes(), horizon, tuple(_levels(level)))
        if key != self._key or hierarchy is not self._hierarchy:
            self._forecasts = forecast_reconciliations(df, horizon, level, hierarchy, self.reconciliations)
            self._key, self._hierarchy = key, hierarchy
        return self._forecasts[reconciliation].copy()


def hierarchy_frame(frame: pd.DataFrame, hierarchy: Hierarchy) -> pd.DataFrame:
    """Every node of the hierarchy as a series, all ending in the bottom series' last month.

    A bottom series that ends earlier is continued with zeros (months without orders), so that
    every node's forecast covers the same months; a bottom series of the hierarchy without any
    row (not started yet) is all zeros over the whole span, and is forecast 0.
    """
    first, last = frame[DS].min(), frame[DS].max()
    ends = frame.groupby(ID)[DS].max()
    absent = sorted(set(hierarchy.bottom_ids) - set(ends.index.astype(str)))
    extra = [
        pd.DataFrame({ID: key, DS: pd.date_range(end, last, freq="MS")[1:], Y: 0.0}) for key, end in ends[ends < last].items()
    ]
    extra += [pd.DataFrame({ID: key, DS: pd.date_range(first, last, freq="MS"), Y: 0.0}) for key in absent]
    if extra:
        frame = pd.concat([frame, *extra], ignore_index=True)
    return hierarchy.aggregate(frame)


def _levels(level) -> list[float]:
    """``level`` as a list of percentages, each checked (see :func:`ml.panel.validate_monthly`)."""
    levels = list(level) if isinstance(level, (list, tuple, np.ndarray)) else [level]
    if not levels:
        raise ValueError("level must be a percentage or a non-empty list of them (e.g. 80 or [80, 95])")
    for one in levels:
        validate_monthly(pd.DataFrame({ID: ["x"], DS: [pd.Timestamp("2000-01-01")], Y: [0.0]}), level=one)
    return levels


def _output(out: pd.DataFrame, panel: Panel, bounds: dict, levels: list[float]) -> pd.DataFrame:
    if len(levels) > 1:
        for lvl in levels:
            out[f"yhat_lo_{lvl:g}"] = bounds[lvl][0].ravel()
            out[f"yhat_hi_{lvl:g}"] = bounds[lvl][1].ravel()
    return out


@dataclass
class _Base:
    """Base (unreconciled) forecasts and the held-out forecasts that calibrate them.

    ``cal`` are (series, origin, step) triples over the held-out months of *every* series;
    ``valid`` marks those with an observed target and a known level (the ones that count).
    """

    features: "_Features"
    yhat: np.ndarray  # (n_series, horizon)
    cal: tuple[np.ndarray, np.ndarray, np.ndarray]
    cal_y: np.ndarray
    cal_pred: np.ndarray
    valid: np.ndarray


@dataclass
class GlobalForecaster:
    """One fit-and-forecast on a :class:`~ml.panel.Panel`; exposes what it chose for inspection."""

    horizon: int
    level: float = 80
    levels: Sequence[float] | None = None
    weights: dict[str, float] | None = None  # share of each component in the forecast, set by the fit
    n_train_rows: int = 0
    n_calibration_rows: int = 0
    series_weights: np.ndarray | None = None  # (n_series, n_parts): each series' blend, set by the fit
    reconciliation: str | None = None  # set by fit_predict_hierarchy

    def fit_predict(self, panel: Panel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Point forecasts and ``level``% interval bounds, each an ``(n_series, horizon)`` array."""
        yhat, bounds = self.fit_predict_levels(panel)
        return (yhat, *bounds[self._levels()[0]])

    def fit_predict_levels(self, panel: Panel) -> tuple[np.ndarray, dict[float, tuple[np.ndarray, np.ndarray]]]:
        """Point forecasts and, per level, the interval bounds."""
        with boosting_threads():
            base = self._base(panel)
        i, t, h = (a[base.valid] for a in base.cal)
        residuals = (base.cal_y[base.valid] - base.cal_pred[base.valid]) / base.features.error[i, t]
        return self._finish(panel, base.features, base.yhat, residuals, h, groups=None)

    def fit_predict_hierarchy(
        self, panel: Panel, hierarchy: Hierarchy, method: str
    ) -> tuple[np.ndarray, dict[float, tuple[np.ndarray, np.ndarray]]]:
        """Reconciled forecasts of every node of ``hierarchy`` (``panel`` holds every node)."""
        with boosting_threads():
            base = self._base(panel)
        return self.reconcile(panel, hierarchy, method, base)

    def reconcile(
        self, panel: Panel, hierarchy: Hierarchy, method: str, base: "_Base"
    ) -> tuple[np.ndarray, dict[float, tuple[np.ndarray, np.ndarray]]]:
        """The base forecasts of ``panel`` (from :meth:`_base`) reconciled by ``method``, with their intervals."""
        order = pd.Index(panel.ids).get_indexer(hierarchy.node_ids)
        i, t, h = base.cal
        # Held-out forecasts as (node, origin × step) matrices in hierarchy order; no target yet = 0.
        pairs, pair_of = np.unique(np.column_stack([t, h]), axis=0, return_inverse=True)
        pair_of = pair_of.ravel()
        node_of = np.empty(panel.n_series, dtype=int)
        node_of[order] = np.arange(hierarchy.n_nodes)
        shape = (hierarchy.n_nodes, len(pairs))
        cal_pred, cal_y = np.zeros(shape), np.zeros(shape)
        cal_pred[node_of[i], pair_of] = base.cal_pred
        cal_y[node_of[i], pair_of] = np.nan_to_num(base.cal_y)
        residual_rows = (cal_y - cal_pred).T if len(pairs) else None
        non_negative = bool(np.nanmin(panel.values) >= 0)

        def reconcile(mapping: np.ndarray, a: np.ndarray) -> np.ndarray:
            return coherent_non_negative(hierarchy, mapping @ a) if non_negative else mapping @ a

        yhat = np.empty_like(base.yhat)
        yhat[order] = reconcile(reconciler(hierarchy, method, residual_rows), base.yhat[order])
        rec_cal = _cross_fitted(hierarchy, method, pairs, cal_pred, cal_y, reconcile)[node_of[i], pair_of]
        valid = base.valid
        scale = base.features.error[i[valid], t[valid]]
        residuals = (base.cal_y[valid] - rec_cal[valid]) / scale
        levels_of = hierarchy.level_of().reindex(panel.ids).to_numpy()
        self.reconciliation = method
        return self._finish(panel, base.features, yhat, residuals, h[valid], groups=(levels_of, levels_of[i[valid]]))

    def _levels(self) -> list[float]:
        return list(self.levels) if self.levels else [self.level]

    def _base(self, panel: Panel) -> _Base:
        features = _Features(panel, self.horizon)
        width = panel.width
        holdout = _holdout_months(self.horizon, width)

        # 1. Calibration: fit without the last `holdout` months, forecast them from rolling origins.
        cal_fit = features.triples(target_max=width - 1 - holdout)
        cal = features.holdout_triples(holdout)
        valid = features.valid(*cal)
        self.n_calibration_rows = int(valid.sum())
        cal_y = features.target(*cal)
        cal_parts = _held_out_parts(features, cal, cal_fit if len(cal_fit[0]) >= MIN_TRAIN_ROWS else None)
        names = list(cal_parts)
        # Errors in units of each series' error scale, so that big series do not choose for all.
        unit = 1 / features.error[cal[0][valid], cal[1][valid]]
        self.weights = _best_weights(cal_y[valid] * unit, {name: part[valid] * unit for name, part in cal_parts.items()})
        global_weights = np.array([self.weights[name] for name in names])
        self.series_weights = _series_weights(cal[0][valid], cal_y[valid], np.stack([cal_parts[nm][valid] for nm in names]), global_weights, panel.n_series)
        # The held-out forecasts that calibrate the intervals use the panel's weights: the series'
        # own weights were chosen on these very points, and their errors there would be too small.
        cal_pred = global_weights @ np.stack([cal_parts[nm] for nm in names])
        cal, cal_y, cal_pred, valid = self._earlier_windows(features, holdout, names, global_weights, (cal, cal_y, cal_pred, valid))

        # 2. The forecast: refit on everything when the model is used, then blend series by series.
        n, steps = panel.n_series, np.arange(1, self.horizon + 1)
        rows = (np.repeat(np.arange(n), self.horizon), np.full(n * self.horizon, width - 1), np.tile(steps, n))
        yhat = np.zeros(len(rows[0]))
        for k, name in enumerate(names):
            weight = self.series_weights[rows[0], k]
            if not weight.any():
                continue
            if name == MODEL_NAME:
                train = features.triples()
                self.n_train_rows = len(train[0])
                part = features.predict(_fit(features, train), *rows)
            else:
                part = getattr(features, name)(*rows)
            yhat += weight * part
        return _Base(features, yhat.reshape(n, self.horizon), cal, cal_y, np.asarray(cal_pred, dtype=float), valid)

    def _earlier_windows(self, features: "_Features", holdout: int, names: list[str], weights: np.ndarray, latest: tuple) -> tuple:
        """The latest calibration window's held-out forecasts plus those of CALIBRATION_WINDOWS − 1 earlier ones.

        One window is a few consecutive months, one draw of the forecast's luck: its errors can be
        smaller (or larger) than those of the months that follow. An earlier window holds out the
        ``holdout`` months before the latest window's, with the model refitted without them and the
        blend the panel's (chosen on the latest window). Only windows with MIN_TRAIN_ROWS training
        examples and MIN_CALIBRATION_POINTS held-out forecasts count. They calibrate the intervals
        (and MinT's error covariance); the blend is chosen on the latest window alone.
        """
        cal, cal_y, cal_pred, valid = latest
        for window in range(1, CALIBRATION_WINDOWS):
            end = features.width - 1 - window * holdout
            fit_rows = features.triples(target_max=end - holdout)
            if len(fit_rows[0]) < MIN_TRAIN_ROWS:
                break
            triples = features.holdout_triples(holdout, end=end)
            ok = features.valid(*triples)
            if ok.sum() < MIN_CALIBRATION_POINTS:
                break
            parts = _held_out_parts(features, triples, fit_rows if MODEL_NAME in names else None)
            pred = weights @ np.stack([parts[nm] for nm in names])
            cal = tuple(np.concatenate([a, b]) for a, b in zip(cal, triples, strict=True))
            cal_y = np.concatenate([cal_y, features.target(*triples)])
            cal_pred = np.concatenate([cal_pred, pred])
            valid = np.concatenate([valid, ok])
        return cal, cal_y, cal_pred, valid

    def _finish(self, panel, features, yhat, residuals, steps, groups) -> tuple[np.ndarray, dict]:
        """Conformal intervals around ``yhat`` at every level, then the final adjustments.

        ``groups``: ``None``, or (group of each series, group of each residual): a group (a
        hierarchy level) with enough residuals for the widest level's conformal rank
        (:func:`_min_conformal_points`) gets its own offsets; a smaller one those of all groups.
        """
        n, horizon = yhat.shape
        scale = features.error[:, panel.width - 1][:, None]
        dormant = ~features.has_level(np.arange(n), np.full(n, panel.width - 1))[:, None]
        non_negative = (np.nanmin(panel.values, axis=1) >= 0)[:, None]
        yhat = np.where(dormant, 0.0, yhat)
        yhat = np.where(non_negative, np.maximum(yhat, 0.0), yhat)
        bounds = {}
        # A level needs enough errors for the widest interval's conformal rank to fall inside them.
        min_group = _min_conformal_points(max(self._levels()))
        for lvl in self._levels():
            offsets = np.broadcast_to(np.stack(_conformal_offsets(residuals, steps, horizon, lvl))[:, None, :], (2, n, horizon)).copy()
            if groups is not None:
                series_group, residual_group = groups
                for group in np.unique(residual_group):
                    mine = residual_group == group
                    if mine.sum() >= min_group:
                        own = np.stack(_conformal_offsets(residuals[mine], steps[mine], horizon, lvl))
                        offsets[:, series_group == group, :] = own[:, None, :]
            lo = np.where(dormant, 0.0, yhat + offsets[0] * scale)
            hi = np.where(dormant, 0.0, yhat + offsets[1] * scale)
            lo = np.where(non_negative, np.maximum(lo, 0.0), lo)
            bounds[lvl] = (np.minimum(lo, yhat), np.maximum(hi, yhat))
        return yhat, bounds


class _Features:
    """Everything the parts of the forecast need about a panel, precomputed as ``(n_series, width)`` matrices.

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
        "smooth_seasonal_index",
        "yoy_growth",
        "zero_share",
        "variation",
        "history_months",
        "log_level",
        "log_signal_to_noise",
        "structural",
    ]
    CATEGORICAL = [1]  # target_month

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
        self.history = np.cumsum(observed, axis=1)

        self.mean_3 = _trailing_mean(filled, observed, 3)
        self.mean_6 = _trailing_mean(filled, observed, 6)
        self.mean_12 = _trailing_mean(filled, observed, 12)
        # The level that scales features and targets: mean absolute value over the last 12 months,
        # else over all history; NaN (no level) while a series has shown nothing but zeros.
        abs_12 = _trailing_mean(np.abs(filled), observed, 12)
        abs_all = _trailing_mean(np.abs(filled), observed, width)
        self.scale = np.where(abs_12 > 0, abs_12, np.where(abs_all > 0, abs_all, np.nan))
        with np.errstate(invalid="ignore", divide="ignore"):
            square_12 = _trailing_mean(filled**2, observed, 12)
            self.variation = np.sqrt(np.maximum(square_12 - self.mean_12**2, 0)) / self.scale
            self.zero_share = _trailing_mean((filled == 0) & observed, observed, 12)
            full_year = np.where(_trailing_count(observed, 12) == 12, self.mean_12, np.nan)
            year_before = np.hstack([np.full((n, SEASON), np.nan), full_year[:, :-SEASON]])[:, :width]
            self.yoy = np.where(year_before > 0, full_year / year_before, np.nan)
            # Seasonal index: the mean ratio of a calendar month to its trailing 12-month mean; at an
            # origin the twelve latest indices are normalised to average 1.
            self.raw_index = _same_month_mean(np.where(full_year > 0, filled / full_year, np.nan))
            known = np.isfinite(self.raw_index)
            self.index_norm = _trailing_mean(np.where(known, self.raw_index, 0.0), known, SEASON)
        self.growth = np.clip(np.where(np.isfinite(self.yoy), self.yoy, 1.0), 0.5, 2.0)
        # Ratios (seasonal index, growth) mean nothing for a series that has gone negative.
        self.has_negative = np.fmin.accumulate(values, axis=1) < 0
        # Error scale of the intervals: in-sample MAE of the seasonal naive forecast (of the lag-1
        # naive before a season and a month of history), at least 10% of the level.
        mae = np.where(self.history > SEASON, _lagged_mae(values, SEASON), _lagged_mae(values, 1))
        with np.errstate(invalid="ignore"):
            self.error = np.where(np.isfinite(mae), np.maximum(mae, 0.1 * self.scale), self.scale)
        # Holt-Winters on the values (additive) and, for series that never touch 0, on their logs
        # (multiplicative season and trend); per series the variant with the smaller one-step error
        # in units, both chosen on the months before the calibration hold-out.
        until = width - 1 - _holdout_months(horizon, width)
        additive = _holt_winters(values, self.first, until)
        positive = np.nanmin(values, axis=1) > 0
        logs = _holt_winters(np.log(np.where(positive[:, None], values, 1.0)), self.first, until, inverse=np.exp)
        self.hw_log = positive & (logs[4] < additive[4])
        self.hw_level, self.hw_trend, self.hw_season = (
            np.where(self.hw_log[:, None], b, a) for a, b in zip(additive[:3], logs[:3], strict=True)
        )
        self.hw_damping = np.where(self.hw_log, logs[3], additive[3])

    def triples(self, origin_min: int = 0, target_max: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (series, origin, step) triples with an observed target and a known level at the origin."""
        target_max = self.width - 1 if target_max is None else target_max
        origin_min = max(origin_min, self.width - 1 - MAX_TRAIN_ORIGINS - self.horizon)
        origins = np.arange(origin_min, self.width - 1)
        i, t, h = (
            a.ravel()
            for a in np.meshgrid(np.arange(self.panel.n_series), origins, np.arange(1, self.horizon + 1), indexing="ij")
        )
        keep = (t + h <= target_max) & (t >= self.first[i])
        i, t, h = i[keep], t[keep], h[keep]
        keep = self.has_level(i, t)
        return i[keep], t[keep], h[keep]

    def holdout_triples(self, holdout: int, end: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (series, origin, step) forecasting one of the ``holdout`` months up to column ``end`` (the last), for every series."""
        end = self.width - 1 if end is None else end
        origins = np.arange(end - holdout, end)
        i, t, h = (
            a.ravel()
            for a in np.meshgrid(np.arange(self.panel.n_series), origins, np.arange(1, self.horizon + 1), indexing="ij")
        )
        keep = t + h <= end
        return i[keep], t[keep], h[keep]

    def valid(self, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Triples that count: an observed target, an origin inside the series and a known level there."""
        return np.isfinite(self.target(i, t, h)) & (t >= self.first[i]) & self.has_level(i, t)

    def has_level(self, i: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.isfinite(self.scale[i, t])

    def _y(self, i: np.ndarray, column: np.ndarray) -> np.ndarray:
        return self.y[i, column + self.pad]

    @staticmethod
    def _same_month(t: np.ndarray, h: np.ndarray) -> np.ndarray:
        """The latest column up to ``t`` in the calendar month of ``t + h``."""
        return t + h - np.ceil(h / SEASON).astype(int) * SEASON

    def smooth_seasonal_index(self, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        """The seasonal index of the target month after projecting the latest twelve on two yearly harmonics.

        Month-to-month noise in the raw indices (a handful of years) is most of their error; a
        smooth yearly shape (mean, one and two cycles a year: 5 numbers for 12 months) keeps the
        season and drops most of that noise. NaN unless all twelve indices are known.
        """
        window = np.clip(t[:, None] - (SEASON - 1) + np.arange(SEASON)[None, :], 0, None)
        raw = self.raw_index[i[:, None], window]
        raw = np.where((t[:, None] - (SEASON - 1) + np.arange(SEASON)[None, :]) >= 0, raw, np.nan)
        position = self._same_month(t, h) - (t - (SEASON - 1))
        smooth = np.einsum("nk,nk->n", _HARMONIC_PROJECTION[position], np.nan_to_num(raw))
        smooth = np.where(np.isfinite(raw).all(axis=1), smooth, np.nan)
        norm = self.index_norm[i, t]
        return np.divide(smooth, norm, out=np.full_like(smooth, np.nan), where=norm > 0)

    def seasonal_index(self, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        same_month = self._same_month(t, h)
        raw = np.where(same_month >= 0, self.raw_index[i, np.maximum(same_month, 0)], np.nan)
        norm = self.index_norm[i, t]
        return np.divide(raw, norm, out=np.full_like(raw, np.nan), where=norm > 0)

    def target(self, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        return self._y(i, t + h)

    def centre(self, i: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Where the model's values are measured from: the 12-month mean at the origin."""
        return np.nan_to_num(self.mean_12[i, t])

    def design(self, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        """The model's features (see NAMES): values as deviations from the 12-month mean in error scales."""
        scale, error, centre = self.scale[i, t], self.error[i, t], self.centre(i, t)
        same_month = self._same_month(t, h)

        def units(values: np.ndarray) -> np.ndarray:
            return (values - centre) / error

        columns = [
            h,
            (self.panel.last_month[i] + t + h - (self.width - 1)) % SEASON,
            *[units(self._y(i, t - k + 1)) for k in range(1, self.N_LAGS + 1)],
            units(self.mean_3[i, t]),
            units(self.mean_6[i, t]),
            units(self._y(i, same_month)),
            units(self._y(i, same_month - SEASON)),
            self.seasonal_index(i, t, h),
            self.smooth_seasonal_index(i, t, h),
            self.yoy[i, t],
            self.zero_share[i, t],
            self.variation[i, t],
            np.minimum(self.history[i, t], 48),
            np.log1p(scale),
            np.log(scale / error),
            units(self.structural(i, t, h)),
        ]
        return np.column_stack(columns).astype(np.float64)

    # --- the parts of the forecast, in units -----------------------------------------------
    def predict(self, model: HistGradientBoostingRegressor, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        """The gradient-boosting forecast; 0 where a series has no level yet."""
        known = self.has_level(i, t)
        prediction = np.zeros(len(i))
        if known.any():
            i, t, h = i[known], t[known], h[known]
            prediction[known] = self.centre(i, t) + model.predict(self.design(i, t, h)) * self.error[i, t]
        return prediction

    def structural(self, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Classical decomposition: 12-month mean × seasonal index of the target month × yearly growth.

        The 12-month mean is centred 5.5 months before the origin, hence growth over ``h + 5.5``
        months. Without a seasonal index (less than a year of history) or growth (less than two
        years), factor 1; a series with negative values gets its 12-month mean.
        """
        index = self.smooth_seasonal_index(i, t, h)
        # Seasonal and growth factors of a slow mover (many zero months) are mostly noise: flat mean.
        multiplicative = np.isfinite(index) & ~self.has_negative[i, t] & (self.zero_share[i, t] < INTERMITTENT_ZERO_SHARE)
        index = np.where(multiplicative, index, 1.0)
        growth = np.where(multiplicative, self.growth[i, t], 1.0)
        return np.nan_to_num(self.mean_12[i, t] * index * growth ** ((h + 5.5) / SEASON))

    def holt_winters(self, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Additive damped-trend Holt-Winters from the states at the origin (see :func:`_holt_winters`).

        Before its smoothing starts (13 months), a series gets the structural forecast instead.
        """
        phi = self.hw_damping[i]
        trend_sum = phi * (1 - phi**h) / (1 - phi)
        same_month = self._same_month(t, h)
        forecast = self.hw_level[i, t] + trend_sum * self.hw_trend[i, t] + self.hw_season[i, np.maximum(same_month, 0)]
        forecast = np.where(self.hw_log[i], np.exp(np.minimum(forecast, 700)), forecast)
        return np.where(np.isfinite(forecast), forecast, self.structural(i, t, h))

    def seasonal_naive(self, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Seasonal naive once a series has a full season, before that the mean of its last three months."""
        seasonal = self._y(i, self._same_month(t, h))
        return np.nan_to_num(np.where(self.history[i, t] >= SEASON, seasonal, self.mean_3[i, t]))


HW_GRID = [  # (alpha, beta, gamma, phi) tried for every series
    (alpha, beta, gamma, phi)
    for alpha in (0.05, 0.15, 0.35, 0.7) for beta in (0.0, 0.03) for gamma in (0.02, 0.1, 0.3) for phi in (0.9, 0.98)
]


def _holdout_months(horizon: int, width: int) -> int:
    """Months held out at the end of every series to choose the blend and calibrate the intervals."""
    return min(max(horizon, MIN_CALIBRATION_MONTHS, min(MAX_CALIBRATION_MONTHS, width // 5)), width - 1)


def _holt_winters(
    values: np.ndarray, first: np.ndarray, until: int, inverse=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """States of additive damped-trend Holt-Winters after every month, for every series at once.

    Per series the smoothing parameters of HW_GRID with the least one-step absolute error over its
    history up to column ``until`` are kept (error-correction form: ``e = y − (l + φb + s₋₁₂)``, ``l ← l + φb + αe``,
    ``b ← φb + βe``, ``s ← s₋₁₂ + γe``; ``φ`` damps the trend). Start: level the mean of the first twelve months, no
    trend, seasonal terms the first year's deviations from it. Returns level, trend and seasonal
    term ``(n_series, width)`` (NaN before a series' twelfth month), each series' damping and mean one-step
    absolute error up to ``until``, measured after ``inverse`` (for values given as logs).
    """
    n, width = values.shape
    start = first + SEASON - 1  # the column where a series' states begin
    filled = np.nan_to_num(values)
    best = [np.full((n, width), np.nan) for _ in range(3)] + [np.full(n, HW_GRID[0][3]), np.full(n, np.inf)]
    for alpha, beta, gamma, phi in HW_GRID:
        level, trend, season = (np.full((n, width), np.nan) for _ in range(3))
        error_sum, counts = np.zeros(n), np.zeros(n)
        for column in range(width):
            begin = start == column
            if begin.any():
                window = filled[begin, column - SEASON + 1 : column + 1]
                level[begin, column] = window.mean(axis=1)
                trend[begin, column] = 0.0
                season[begin, column - SEASON + 1 : column + 1] = window - level[begin, column][:, None]
            on = start < column
            if not on.any():
                continue
            l, b, s = level[on, column - 1], trend[on, column - 1], season[on, column - SEASON]
            e = filled[on, column] - (l + phi * b + s)
            level[on, column] = l + phi * b + alpha * e
            trend[on, column] = phi * b + beta * e
            season[on, column] = s + gamma * e
            if column <= until:
                actual = filled[on, column]
                error = np.abs(e) if inverse is None else np.abs(inverse(actual) - inverse(actual - e))
                error_sum[on] += error
                counts[on] += 1
        score = np.divide(error_sum, counts, out=np.full(n, np.inf), where=counts > 0)
        better = score < best[4]  # strictly: ties keep the earlier grid point
        for kept, run in zip(best[:3], (level, trend, season), strict=True):
            kept[better] = run[better]
        best[3][better], best[4][better] = phi, score[better]
    return tuple(best)


def _harmonic_projection() -> np.ndarray:
    """The 12 × 12 least-squares projection onto a constant and one and two cycles per 12 months."""
    k = np.arange(SEASON)
    angle = 2 * np.pi * k / SEASON
    basis = np.column_stack([np.ones(SEASON), np.cos(angle), np.sin(angle), np.cos(2 * angle), np.sin(2 * angle)])
    return basis @ np.linalg.solve(basis.T @ basis, basis.T)


_HARMONIC_PROJECTION = _harmonic_projection()


def _fit(features: _Features, rows: tuple[np.ndarray, np.ndarray, np.ndarray]) -> HistGradientBoostingRegressor:
    """The gradient-boosting model on targets in error scales from the 12-month mean (at most MAX_TRAIN_ROWS rows, sampled with a fixed seed)."""
    i, t, h = rows
    if len(i) > MAX_TRAIN_ROWS:
        keep = np.sort(np.random.default_rng(RANDOM_STATE).choice(len(i), MAX_TRAIN_ROWS, replace=False))
        i, t, h = i[keep], t[keep], h[keep]
    design = features.design(i, t, h)
    # A feature no training row has (say, last year's month in a young panel) is made constant so
    # the model ignores it (scikit-learn's binning rejects all-missing columns).
    design[:, np.isnan(design).all(axis=0)] = 0.0
    target = (features.target(i, t, h) - features.centre(i, t)) / features.error[i, t]
    target = np.clip(target, -TARGET_CAP, TARGET_CAP)
    model = HistGradientBoostingRegressor(**MODEL_PARAMS, categorical_features=features.CATEGORICAL, random_state=RANDOM_STATE)
    return model.fit(design, target)


def _best_weights(y: np.ndarray, parts: dict[str, np.ndarray]) -> dict[str, float]:
    """The convex combination of the parts (weights in quarters) with the lowest total absolute error.

    Too few held-out points to judge: the structural forecast alone. Ties go to the earlier part.
    """
    names = list(parts)
    if len(y) < MIN_CALIBRATION_POINTS:
        return {name: float(name == "structural") for name in names}
    grid = [w for w in itertools.product(range(BLEND_STEPS + 1), repeat=len(names)) if sum(w) == BLEND_STEPS]
    grid.sort(reverse=True)  # more weight on earlier parts first, so ties go to them
    best, best_error = None, np.inf
    for combination in grid:
        prediction = sum(k / BLEND_STEPS * parts[name] for k, name in zip(combination, names))
        error = np.abs(y - prediction).sum()
        if error < best_error * (1 - 1e-9):
            best, best_error = combination, error
    return {name: k / BLEND_STEPS for k, name in zip(best, names)}


def _series_weights(series: np.ndarray, y: np.ndarray, parts: np.ndarray, global_weights: np.ndarray, n_series: int) -> np.ndarray:
    """Blend weights per series: its own best grid combination, shrunk towards the panel's.

    A series with ``m`` held-out forecasts takes ``m / (m + SERIES_SHRINK_POINTS)`` of its own
    choice (the grid combination with the least absolute error on its points; ties to the panel's
    weights) and the rest from the panel's. ``parts``: ``(n_parts, n_points)``. Returns ``(n_series, n_parts)``.
    """
    grid = np.array([w for w in itertools.product(range(BLEND_STEPS + 1), repeat=len(parts)) if sum(w) == BLEND_STEPS]) / BLEND_STEPS
    weights = np.tile(global_weights, (n_series, 1))
    if len(y) == 0:
        return weights
    errors = np.zeros((len(grid), n_series))
    for c, combination in enumerate(grid):
        np.add.at(errors[c], series, np.abs(y - combination @ parts))
    counts = np.bincount(series, minlength=n_series)
    own = grid[np.argmin(errors, axis=0)]
    panel_error = np.zeros(n_series)
    np.add.at(panel_error, series, np.abs(y - global_weights @ parts))
    own = np.where((errors.min(axis=0) < panel_error * (1 - 1e-9))[:, None], own, global_weights)
    share = (counts / (counts + SERIES_SHRINK_POINTS))[:, None]
    return share * own + (1 - share) * weights


def _held_out_parts(features: "_Features", triples: tuple, fit_rows: tuple | None) -> dict[str, np.ndarray]:
    """Every part's forecasts of held-out ``triples``; the model's (first) only with training rows ``fit_rows``."""
    parts = {
        "structural": features.structural(*triples),
        "holt_winters": features.holt_winters(*triples),
        "seasonal_naive": features.seasonal_naive(*triples),
    }
    return parts if fit_rows is None else {MODEL_NAME: features.predict(_fit(features, fit_rows), *triples), **parts}


def _cross_fitted(hierarchy: Hierarchy, method: str, pairs: np.ndarray, cal_pred: np.ndarray, cal_y: np.ndarray, reconcile) -> np.ndarray:
    """Reconciled held-out forecasts ``(n_nodes, n_pairs)`` whose reconciliation never saw their own errors.

    MinT estimates its mapping from the held-out errors; reconciling those same forecasts with it
    makes their errors in-sample, too small, and the intervals calibrated on them too narrow. So
    the held-out (origin, step) pairs are split by target month into an earlier and a later half,
    and each half is reconciled by a mapping estimated on the other half's errors (cross-fitting).
    Bottom-up estimates nothing: one mapping for all.
    """
    if method == "bottom_up" or len(pairs) == 0:
        return reconcile(reconciler(hierarchy, method, None), cal_pred)
    target = pairs[:, 0] + pairs[:, 1]
    later = target > np.median(target)
    if later.all() or not later.any():  # a single target month: nothing to hold out against
        return reconcile(reconciler(hierarchy, method, (cal_y - cal_pred).T), cal_pred)
    out = np.empty_like(cal_pred)
    for fold in (later, ~later):
        mapping = reconciler(hierarchy, method, (cal_y[:, ~fold] - cal_pred[:, ~fold]).T)
        out[:, fold] = reconcile(mapping, cal_pred[:, fold])
    return out


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
        floor = MIN_HALF_WIDTH * math.sqrt(step)
        if own.size >= MIN_STEP_RESIDUALS:
            lo[step - 1], hi[step - 1] = _conformal_quantiles(own, alpha)
        elif pooled.size:
            q_lo, q_hi = _conformal_quantiles(pooled, alpha)
            lo[step - 1], hi[step - 1] = q_lo * math.sqrt(step), q_hi * math.sqrt(step)
        else:
            lo[step - 1], hi[step - 1] = -z * 1.25 * math.sqrt(step), z * 1.25 * math.sqrt(step)
        lo[step - 1], hi[step - 1] = min(lo[step - 1], -floor), max(hi[step - 1], floor)
    return lo, hi


def _conformal_quantiles(residuals: np.ndarray, alpha: float) -> tuple[float, float]:
    """``(−q, q)`` with ``q`` the ⌈(n+1)·(1−α)⌉-th smallest absolute error (clipped to the sample).

    Split conformal on absolute errors (Lei et al., 2018; statsforecast's conformal intervals):
    one quantile at rank ``1 − α`` instead of two tails at ``α/2`` each, so twice the errors
    decide the width, and the few largest errors of one side (a single month's surprise,
    repeated across overlapping origins) do not set that side alone.
    """
    ordered = np.sort(np.abs(residuals))
    n = ordered.size
    rank = min(max(math.ceil((n + 1) * (1 - alpha)) - 1, 0), n - 1)
    return -float(ordered[rank]), float(ordered[rank])


def _min_conformal_points(level: float) -> int:
    """The fewest errors whose conformal rank ⌈(n+1)·(1−α)⌉ at ``level``% lies inside the sample: ⌈1/α⌉ − 1."""
    return math.ceil(round(100 / (100 - level), 9)) - 1


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
    """Mean of the finite ``ratio`` values in the same calendar month (column modulo 12) up to each column."""
    width = ratio.shape[1]
    observed = np.isfinite(ratio)
    filled = np.where(observed, ratio, 0.0)
    total, count = filled.copy(), observed.astype(float)
    for column in range(SEASON, width):
        total[:, column] += total[:, column - SEASON]
        count[:, column] += count[:, column - SEASON]
    return np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0)
