"""Rolling-origin backtests: how each model would have done had it forecast from past months.

Origins are cut points in calendar time, counted back from the panel's last month: the last
origin leaves exactly ``horizon`` months to compare, each earlier one is ``step`` months (default
1) before the next. At every origin each model is fitted on the data up to and including the
origin month only, forecasts ``horizon`` months, and is compared with what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ml import metrics
from ml.baselines import seasonal_naive
from ml.forecasting import MODEL_NAME, forecast, hierarchy_frame
from ml.hierarchy import LEVEL_COLUMN, Hierarchy
from ml.panel import DS, ID, Y, fill_missing_months, month_number, month_start, validate_monthly

Model = Callable[..., pd.DataFrame]  # called as model(df, horizon=..., level=...)
DEFAULT_MODELS: Mapping[str, Model] = {MODEL_NAME: forecast, "seasonal_naive": seasonal_naive}
BASELINE = "seasonal_naive"
ERROR_COLUMNS = [
    "model", "cutoff", LEVEL_COLUMN, ID, DS, "horizon", Y, "yhat", "yhat_lo", "yhat_hi", "error", "abs_error", "mase_scale", "in_interval"
]
ACCURACY_COLUMNS = [
    "model", LEVEL_COLUMN, "horizon", "origin", "wape", "mase", "bias", "coverage", "fva", "n_series", "n_points", "n_origins"
]


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
    level: float | Sequence[float] = 80,
    models: Mapping[str, Model] | None = None,
    step: int = 1,
    hierarchy: Hierarchy | None = None,
) -> pd.DataFrame:
    """Per-origin, per-step forecast errors of each model; one row per model × origin × series × month.

    Columns: ``model``, ``cutoff`` (the origin month, last month of training data),
    ``hierarchy_level`` (``series`` without a hierarchy), ``unique_id``, ``ds``, ``horizon``
    (months after the cutoff, 1..horizon), ``y``, ``yhat``, ``yhat_lo``, ``yhat_hi`` (the first
    level's interval), ``error`` (ŷ − y), ``abs_error``, ``mase_scale`` (the series' in-sample
    naive MAE at the cutoff, see :func:`ml.metrics.mase_scale`), ``in_interval`` and, with several
    levels, ``in_interval_<level>`` per level. A series takes part at an origin when it has at
    least one month up to the cutoff and actuals after it. Missing months inside a series count as
    0, for training and as actuals. With a ``hierarchy``, ``df`` holds the bottom series, models
    are called with ``hierarchy=`` and every node is scored against the summed actuals.
    """
    models = dict(DEFAULT_MODELS if models is None else models)
    levels = list(level) if isinstance(level, (list, tuple)) else [level]
    frame = fill_missing_months(validate_monthly(df, horizon, levels[0]))
    origins = cutoffs(frame, horizon, n_origins, step)
    if origins[0] < frame[DS].min():
        raise ValueError(
            f"{n_origins} origins {step} month(s) apart with horizon {horizon} need data before "
            f"{origins[0]:%Y-%m}; the data starts {frame[DS].min():%Y-%m}. Use fewer origins."
        )
    scored = frame if hierarchy is None else hierarchy_frame(frame, hierarchy)
    node_level = None if hierarchy is None else hierarchy.level_of()
    extra = {} if hierarchy is None else {"hierarchy": hierarchy}
    results = []
    for cutoff in origins:
        train = frame[frame[DS] <= cutoff]
        end = cutoff + pd.DateOffset(months=horizon)
        history = scored[scored[DS] <= cutoff]
        actual = scored[(scored[DS] > cutoff) & (scored[DS] <= end)]
        actual = actual[actual[ID].isin(history[ID].unique())]
        if actual.empty:
            continue
        scales = history.groupby(ID, sort=False)[Y].agg(metrics.mase_scale).rename("mase_scale")
        for name, model in models.items():
            predicted = model(train, horizon=horizon, level=levels if len(levels) > 1 else levels[0], **extra)
            predicted = predicted.drop(columns=[LEVEL_COLUMN], errors="ignore")
            merged = actual.merge(predicted, on=[ID, DS], how="inner").join(scales, on=ID)
            merged.insert(0, "model", name)
            merged.insert(1, "cutoff", cutoff)
            results.append(merged)
    columns = ERROR_COLUMNS + ([f"in_interval_{lvl:g}" for lvl in levels] if len(levels) > 1 else [])
    if not results:
        return pd.DataFrame(columns=columns)
    errors = pd.concat(results, ignore_index=True)
    errors[LEVEL_COLUMN] = "series" if node_level is None else errors[ID].map(node_level)
    errors["horizon"] = (month_number(errors[DS]) - month_number(errors["cutoff"])).astype(int)
    errors["error"] = errors["yhat"] - errors[Y]
    errors["abs_error"] = errors["error"].abs()
    errors["in_interval"] = (errors["yhat_lo"] <= errors[Y]) & (errors[Y] <= errors["yhat_hi"])
    if len(levels) > 1:
        for lvl in levels:
            errors[f"in_interval_{lvl:g}"] = (errors[f"yhat_lo_{lvl:g}"] <= errors[Y]) & (errors[Y] <= errors[f"yhat_hi_{lvl:g}"])
    return errors[columns].sort_values(["model", "cutoff", LEVEL_COLUMN, ID, DS], ignore_index=True)


def accuracy_table(
    errors: pd.DataFrame, by_horizon: bool = True, by_origin: bool = False, baseline: str = BASELINE
) -> pd.DataFrame:
    """Accuracy per model × hierarchy level, over all steps (``horizon`` = ``'all'``) and per step.

    With ``by_horizon`` a row per step (``'1'``, ``'2'``, …) too; with ``by_origin`` every such
    row also per origin (``origin`` = the cutoff month; ``NaT`` on rows over all origins).
    Columns: ``model``, ``hierarchy_level``, ``horizon``, ``origin``, ``wape``, ``mase``,
    ``bias``, ``coverage`` (the first level's), ``coverage_<level>`` per level when the errors
    carry several, ``fva`` (forecast value added: ``1 − WAPE / WAPE of the baseline`` on the same
    level, horizon and origin; NaN without the baseline), ``n_series``, ``n_points``,
    ``n_origins``; metric definitions in :mod:`ml.metrics`.
    """
    if LEVEL_COLUMN not in errors.columns:
        errors = errors.assign(**{LEVEL_COLUMN: "series"})
    coverage_columns = [c for c in errors.columns if c.startswith("in_interval_")]
    rows = []
    for (model, node_level), group in errors.groupby(["model", LEVEL_COLUMN], sort=True):
        slices = [("all", group)]
        if by_horizon:
            slices += [(str(int(step)), part) for step, part in group.groupby("horizon", sort=True)]
        for horizon, part in slices:
            rows.append(_summary(model, node_level, horizon, pd.NaT, part, coverage_columns))
            if by_origin:
                for origin, cut in part.groupby("cutoff", sort=True):
                    rows.append(_summary(model, node_level, horizon, origin, cut, coverage_columns))
    columns = ACCURACY_COLUMNS[:8] + [c.replace("in_interval", "coverage") for c in coverage_columns] + ACCURACY_COLUMNS[8:]
    table = pd.DataFrame(rows, columns=[c for c in columns if c != "fva"] + ["fva"])[columns]
    keys = [LEVEL_COLUMN, "horizon", "origin"]
    reference = table[table["model"] == baseline].set_index(keys)["wape"]
    with np.errstate(divide="ignore", invalid="ignore"):
        matched = pd.MultiIndex.from_frame(table[keys]).map(lambda key: reference.get(key, np.nan))
        table["fva"] = 1 - table["wape"] / np.asarray(matched, dtype=float)
    return table


def _summary(model: str, node_level: str, horizon: str, origin, group: pd.DataFrame, coverage_columns: list[str]) -> dict:
    row = {
        "model": model,
        LEVEL_COLUMN: node_level,
        "horizon": horizon,
        "origin": origin,
        "wape": metrics.wape(group[Y], group["yhat"]),
        "mase": metrics.mase(group[Y], group["yhat"], group["mase_scale"]),
        "bias": metrics.bias(group[Y], group["yhat"]),
        "coverage": metrics.coverage(group[Y], group["yhat_lo"], group["yhat_hi"]),
        "n_series": int(group[ID].nunique()),
        "n_points": len(group),
        "n_origins": int(group["cutoff"].nunique()),
    }
    for column in coverage_columns:
        row[column.replace("in_interval", "coverage")] = float(group[column].mean()) if len(group) else float("nan")
    return row
