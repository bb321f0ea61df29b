"""Monthly panels: input validation and the right-aligned matrix the models work on.

Every model in ``ml`` takes the same long frame (``unique_id``, ``ds``, ``y``), checks it with
:func:`validate_monthly` and turns it into a :class:`Panel`: one row per series, one column per
month, each series right-aligned so that its own last month is the last column. Months missing
inside a series are filled with 0 (a month without orders is a month with zero demand); months
before a series' first month are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ID, DS, Y = "unique_id", "ds", "y"
FORECAST_COLUMNS = [ID, DS, "yhat", "yhat_lo", "yhat_hi"]


_UNCHECKED = object()  # default of validate_monthly's horizon and level: not given, not checked


def validate_monthly(df: pd.DataFrame, horizon: int = _UNCHECKED, level: float = _UNCHECKED) -> pd.DataFrame:
    """The input frame checked and normalised: ``ds`` as month-start timestamps, ``y`` as float.

    ``horizon`` and ``level`` are checked when passed (``None`` included: the models always pass
    theirs, and ``None`` is not a horizon). Raises ``ValueError`` naming the column, the offending
    rows and what was expected.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame with columns {ID}, {DS}, {Y}; got {type(df).__name__}")
    missing = [c for c in (ID, DS, Y) if c not in df.columns]
    if missing:
        raise ValueError(
            f"input frame is missing column(s) {missing}; expected columns {ID!r} (series key), "
            f"{DS!r} (month-start dates) and {Y!r} (values); found {list(df.columns)}"
        )
    if horizon is not _UNCHECKED and (isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1):
        raise ValueError(f"horizon must be a positive whole number of months; got {horizon!r}")
    if level is not _UNCHECKED and (
        isinstance(level, bool) or not (isinstance(level, (int, float, np.number)) and 0 < level < 100)
    ):
        raise ValueError(f"level must be a percentage strictly between 0 and 100 (e.g. 80); got {level!r}")
    if df.empty:
        raise ValueError("input frame has no rows: nothing to forecast")

    frame = df[[ID, DS, Y]].copy()
    if frame[ID].isna().any():
        rows = frame.index[frame[ID].isna()][:5].tolist()
        raise ValueError(f"column {ID!r} has {int(frame[ID].isna().sum())} missing value(s), e.g. at rows {rows}")

    try:
        ds = pd.to_datetime(frame[DS])
    except (ValueError, TypeError) as exc:
        raise ValueError(f"column {DS!r} must hold dates (month starts such as 2024-03-01): {exc}") from exc
    if getattr(ds.dt, "tz", None) is not None:
        ds = ds.dt.tz_localize(None)
    bad = ds.isna() | (ds.dt.day != 1) | (ds != ds.dt.normalize())
    if bad.any():
        examples = frame.loc[bad, [ID, DS]].head(5).to_dict("records")
        raise ValueError(
            f"column {DS!r} must hold month starts (first day of the month, midnight); "
            f"{int(bad.sum())} row(s) do not, e.g. {examples}. Aggregate to months and use the month's first day."
        )
    frame[DS] = ds.astype("datetime64[ns]")

    y = pd.to_numeric(frame[Y], errors="coerce").astype(float)
    bad_y = ~np.isfinite(y.to_numpy())
    if bad_y.any():
        examples = df.loc[frame.index[bad_y], [ID, DS, Y]].head(5).to_dict("records")
        raise ValueError(
            f"column {Y!r} must hold finite numbers; {int(bad_y.sum())} row(s) do not, e.g. {examples}. "
            "Drop a row to have its month counted as 0."
        )
    frame[Y] = y

    duplicated = frame.duplicated([ID, DS], keep=False)
    if duplicated.any():
        examples = frame.loc[duplicated, [ID, DS]].drop_duplicates().head(5).to_dict("records")
        raise ValueError(
            f"each ({ID}, {DS}) pair must appear once; {int(frame.loc[duplicated, [ID, DS]].drop_duplicates().shape[0])} "
            f"pair(s) appear more than once, e.g. {examples}. Sum or deduplicate them first."
        )
    return frame.reset_index(drop=True)


def month_number(ds: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Months since year 0 (``year * 12 + month - 1``): consecutive months are consecutive integers."""
    ds = pd.DatetimeIndex(ds)
    return (ds.year.to_numpy().astype(np.int64) * 12 + ds.month.to_numpy() - 1).astype(np.int64)


def month_start(number: np.ndarray) -> pd.DatetimeIndex:
    """The inverse of :func:`month_number`."""
    number = np.asarray(number, dtype=np.int64)
    return pd.DatetimeIndex((number - 1970 * 12).astype("datetime64[M]").astype("datetime64[ns]"))


@dataclass(frozen=True)
class Panel:
    """Series as rows of a right-aligned matrix.

    ``values[i, j]`` is series ``ids[i]`` in month ``last_month[i] - (width - 1 - j)``; NaN before
    the series' first month. ``lengths[i]`` is the number of months from its first to its last.
    """

    ids: np.ndarray
    values: np.ndarray
    last_month: np.ndarray
    lengths: np.ndarray

    @property
    def width(self) -> int:
        return self.values.shape[1]

    @property
    def n_series(self) -> int:
        return self.values.shape[0]

    def month_of_column(self) -> np.ndarray:
        """Calendar month (0 = January) of every cell, shape of ``values``."""
        offset = np.arange(self.width) - (self.width - 1)
        return (self.last_month[:, None] + offset[None, :]) % 12

    def future_ds(self, horizon: int) -> pd.DatetimeIndex:
        """The ``horizon`` month starts after each series' last month, series by series."""
        months = (self.last_month[:, None] + np.arange(1, horizon + 1)[None, :]).ravel()
        return month_start(months)

    def forecast_frame(self, yhat: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> pd.DataFrame:
        """The long output frame from ``(n_series, horizon)`` arrays."""
        horizon = yhat.shape[1]
        return pd.DataFrame(
            {
                ID: np.repeat(self.ids, horizon),
                DS: self.future_ds(horizon),
                "yhat": yhat.ravel(),
                "yhat_lo": lo.ravel(),
                "yhat_hi": hi.ravel(),
            }
        )


def to_panel(frame: pd.DataFrame) -> Panel:
    """A validated long frame (see :func:`validate_monthly`) as a right-aligned, gap-filled matrix."""
    codes, ids = pd.factorize(frame[ID], sort=True)
    months = month_number(frame[DS])
    n = len(ids)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first, codes, months)
    np.maximum.at(last, codes, months)
    lengths = last - first + 1
    width = int(lengths.max())
    values = np.full((n, width), np.nan)
    column = width - 1 - (last[codes] - months)
    # Months inside each series' span start at 0 (filled gaps), then receive the observed values.
    inside = np.arange(width)[None, :] >= (width - lengths)[:, None]
    values[inside] = 0.0
    values[codes, column] = frame[Y].to_numpy(dtype=float)
    return Panel(ids=np.asarray(ids), values=values, last_month=last, lengths=lengths)


def fill_missing_months(frame: pd.DataFrame) -> pd.DataFrame:
    """The long frame with every month between each series' first and last present (missing ones as 0)."""
    panel = to_panel(frame)
    rows, cols = np.nonzero(~np.isnan(panel.values))
    months = panel.last_month[rows] - (panel.width - 1 - cols)
    return pd.DataFrame({ID: panel.ids[rows], DS: month_start(months), Y: panel.values[rows, cols]})
