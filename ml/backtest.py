"""Rolling-origin backtests: how each model would have done had it forecast from past months.

Origins are cut points in calendar time, counted back from the panel's last month: the last
origin leaves exactly ``horizon`` months to compare, each earlier one is ``step`` months (default
1) before the next. At every origin each model is fitted on the data up to and including the
origin month only, forecasts ``horizon`` months, and is compared with what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from ml import metrics
from ml.baselines import seasonal_naive
from ml.forecasting import MODEL_NAME, forecast
from ml.panel import DS, ID, Y, fill_missing_months, month_number, month_start, validate_monthly

Model = Callable[..., pd.DataFrame]  # called as model(df, horizon=..., level=...)
DEFAULT_MODELS: Mapping[str, Model] = {MODEL_NAME: forecast, "seasonal_naive": seasonal_naive}
ERROR_COLUMNS = [
    "model", "cutoff", ID, DS, "horizon", Y, "yhat", "yhat_lo", "yhat_hi", "error", "abs_error", "mase_scale", "in_interval"
]
ACCURACY_COLUMNS = ["model", "horizon", "wape", "mase", "bias", "coverage", "n_series", "n_points", "n_origins"]


def cutoffs(df: pd.DataFrame, horizon: int, n_origins: int, step: int = 1) -> list[pd.Timestamp]:
    """The origin months, oldest first: the last is ``horizon`` months before the panel's last month."""
    if isinstance(n_origins, bool) or not isinstance(n_origins, (int, np.integer)) or n_origins < 1:
        raise ValueError(f"n_origins must be a positive whole number; got {n_origins!r}")
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"step must be a positive whole number of months; got {step!r}")
    last = int(month_number(pd.DatetimeIndex([pd.to_datetime(df[DS]).max()]))[0])
    numbers = [last - horizon - step * k for k in range(n_origins - 1, -1, -1)]
    return list(month_start(np.array(numbers)))


def backtest(
    df: pd.DataFrame,
    horizon: int,
    n_origins: int,
    level: float = 80,
    models: Mapping[str, Model] | None = None,
    step: int = 1,
) -> pd.DataFrame:
    """Per-origin, per-step forecast errors of each model; one row per model × origin × series × month.

    Columns: ``model``, ``cutoff`` (the origin month, last month of training data), ``unique_id``,
    ``ds``, ``horizon`` (months after the cutoff, 1..horizon), ``y``, ``yhat``, ``yhat_lo``,
    ``yhat_hi``, ``error`` (ŷ − y), ``abs_error``, ``mase_scale`` (the series' in-sample naive MAE
    at the cutoff, see :func:`ml.metrics.mase_scale`) and ``in_interval``. A series takes part
    at an origin when it has at least one month up to the cutoff and actuals after it. Missing
    months inside a series count as 0, for training and as actuals.
    """
    models = dict(DEFAULT_MODELS if models is None else models)
    frame = fill_missing_months(validate_monthly(df, horizon, level))
    origins = cutoffs(frame, horizon, n_origins, step)
    if origins[0] < frame[DS].min():
        raise ValueError(
            f"{n_origins} origins {step} month(s) apart with horizon {horizon} need data before "
            f"{origins[0]:%Y-%m}; the data starts {frame[DS].min():%Y-%m}. Use fewer origins."
        )
    results = []
    for cutoff in origins:
        train = frame[frame[DS] <= cutoff]
        end = cutoff + pd.DateOffset(months=horizon)
        actual = frame[(frame[DS] > cutoff) & (frame[DS] <= end)]
        actual = actual[actual[ID].isin(train[ID].unique())]
        if actual.empty:
            continue
        scales = train.groupby(ID, sort=False)[Y].agg(metrics.mase_scale).rename("mase_scale")
        for name, model in models.items():
            predicted = model(train, horizon=horizon, level=level)
            merged = actual.merge(predicted, on=[ID, DS], how="inner").join(scales, on=ID)
            merged.insert(0, "model", name)
            merged.insert(1, "cutoff", cutoff)
            results.append(merged)
    if not results:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    errors = pd.concat(results, ignore_index=True)
    errors["horizon"] = (month_number(errors[DS]) - month_number(errors["cutoff"])).astype(int)
    errors["error"] = errors["yhat"] - errors[Y]
    errors["abs_error"] = errors["error"].abs()
    errors["in_interval"] = (errors["yhat_lo"] <= errors[Y]) & (errors[Y] <= errors["yhat_hi"])
    return errors[ERROR_COLUMNS].sort_values(["model", "cutoff", ID, DS], ignore_index=True)


def accuracy_table(errors: pd.DataFrame, by_horizon: bool = True) -> pd.DataFrame:
    """Accuracy per model over all steps (``horizon`` = ``'all'``) and, with ``by_horizon``, per step.

    Columns: ``model``, ``horizon`` (text: ``'all'``, ``'1'``, ``'2'``, …), ``wape``, ``mase``,
    ``bias``, ``coverage``, ``n_series``, ``n_points``, ``n_origins``; metric definitions in
    :mod:`ml.metrics`.
    """
    rows = []
    for model, group in errors.groupby("model", sort=True):
        rows.append(_summary(model, "all", group))
        if by_horizon:
            for step, part in group.groupby("horizon", sort=True):
                rows.append(_summary(model, str(int(step)), part))
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)


def _summary(model: str, horizon: str, group: pd.DataFrame) -> dict:
    return {
        "model": model,
        "horizon": horizon,
        "wape": metrics.wape(group[Y], group["yhat"]),
        "mase": metrics.mase(group[Y], group["yhat"], group["mase_scale"]),
        "bias": metrics.bias(group[Y], group["yhat"]),
        "coverage": metrics.coverage(group[Y], group["yhat_lo"], group["yhat_hi"]),
        "n_series": int(group[ID].nunique()),
        "n_points": len(group),
        "n_origins": int(group["cutoff"].nunique()),
    }
