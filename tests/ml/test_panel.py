"""Input validation (ml.panel.validate_monthly) as the public entry points report it, and the panel layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.backtest import backtest
from ml.baselines import seasonal_naive
from ml.forecasting import forecast
from ml.panel import fill_missing_months, to_panel, validate_monthly
from tests.ml.helpers import series

GOOD = series("a", "2024-01-01", [1, 2, 3])

# The validation runs before any model is fitted, so going through forecast() is cheap.
ENTRY_POINTS = [forecast, seasonal_naive]


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=["forecast", "seasonal_naive"])
@pytest.mark.parametrize("column", ["unique_id", "ds", "y"])
def test_missing_column_is_named(entry, column):
    with pytest.raises(ValueError, match=rf"missing column\(s\) \['{column}'\]"):
        entry(GOOD.drop(columns=[column]), horizon=2)


def test_missing_column_message_lists_what_was_found():
    frame = GOOD.rename(columns={"y": "units"})
    with pytest.raises(ValueError) as info:
        forecast(frame, 2)
    assert "['y']" in str(info.value) and "found ['unique_id', 'ds', 'units']" in str(info.value)


@pytest.mark.parametrize(
    "bad_ds",
    [pd.Timestamp("2024-02-15"), pd.Timestamp("2024-02-01 06:00")],
    ids=["mid-month", "month start with a time"],
)
def test_dates_must_be_month_starts(bad_ds):
    frame = GOOD.copy()
    frame.loc[1, "ds"] = bad_ds
    with pytest.raises(ValueError, match="'ds' must hold month starts") as info:
        forecast(frame, 2)
    assert "1 row(s)" in str(info.value)


def test_unparseable_dates_name_the_column():
    frame = GOOD.astype({"ds": object})
    frame.loc[0, "ds"] = "not a date"
    with pytest.warns(UserWarning, match="Could not infer format"), pytest.raises(ValueError, match="column 'ds' must hold dates"):
        forecast(frame, 2)


def test_month_start_strings_and_dates_are_accepted():
    frame = GOOD.assign(ds=["2024-01-01", "2024-02-01", "2024-03-01"])
    assert validate_monthly(frame)["ds"].tolist() == list(GOOD["ds"])
    frame = GOOD.assign(ds=GOOD["ds"].dt.date)
    assert validate_monthly(frame)["ds"].tolist() == list(GOOD["ds"])


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=["forecast", "seasonal_naive"])
@pytest.mark.parametrize("horizon", [0, -1, 1.5, True, "6", None])
def test_bad_horizon(entry, horizon):
    with pytest.raises(ValueError, match=f"horizon must be a positive whole number of months; got {horizon!r}"):
        entry(GOOD, horizon=horizon)


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=["forecast", "seasonal_naive"])
@pytest.mark.parametrize("level", [0, 100, 150, -5, "80", None, True, float("nan")])
def test_bad_level(entry, level):
    with pytest.raises(ValueError, match=f"level must be a percentage strictly between 0 and 100.*got {level!r}"):
        entry(GOOD, horizon=2, level=level)


@pytest.mark.parametrize("horizon, level", [(None, 80), (6, None), (0, 80), (6, 100)])
def test_backtest_checks_horizon_and_level_too(horizon, level):
    with pytest.raises(ValueError, match="horizon must be|level must be"):
        backtest(GOOD, horizon, 1, level=level)


def test_numpy_whole_numbers_are_accepted():
    out = seasonal_naive(GOOD, horizon=np.int64(2), level=np.float64(80.0))
    assert len(out) == 2


def test_empty_frame():
    with pytest.raises(ValueError, match="no rows"):
        forecast(GOOD.iloc[:0], 2)


def test_not_a_frame():
    with pytest.raises(TypeError, match="pandas DataFrame"):
        forecast(GOOD.to_dict("list"), 2)


@pytest.mark.parametrize("bad_y", [np.nan, np.inf, "many"], ids=["nan", "inf", "text"])
def test_values_must_be_finite_numbers(bad_y):
    frame = GOOD.astype({"y": object})
    frame.loc[2, "y"] = bad_y
    with pytest.raises(ValueError, match="column 'y' must hold finite numbers; 1 row"):
        forecast(frame, 2)


def test_missing_series_key():
    frame = GOOD.astype({"unique_id": object})
    frame.loc[0, "unique_id"] = None
    with pytest.raises(ValueError, match="column 'unique_id' has 1 missing value"):
        forecast(frame, 2)


def test_duplicate_months_are_rejected():
    frame = pd.concat([GOOD, GOOD.iloc[[1]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"each \(unique_id, ds\) pair must appear once; 1 pair"):
        forecast(frame, 2)


def test_panel_is_right_aligned_and_gap_filled():
    frame = pd.concat(
        [
            series("a", "2024-01-01", [1, 2, 3, 4]),
            series("b", "2023-11-01", [5, 6]),  # ends Dec 2023, two months before a
            series("c", "2024-01-01", [7, 8, 9]).drop(index=1),  # Feb 2024 missing: a zero
        ],
        ignore_index=True,
    )
    panel = to_panel(validate_monthly(frame))
    assert panel.ids.tolist() == ["a", "b", "c"]
    assert panel.lengths.tolist() == [4, 2, 3]
    np.testing.assert_array_equal(
        panel.values,
        [[1, 2, 3, 4], [np.nan, np.nan, 5, 6], [np.nan, 7, 0, 9]],
    )
    filled = fill_missing_months(validate_monthly(frame))
    c = filled[filled["unique_id"] == "c"]
    assert c["ds"].tolist() == list(pd.date_range("2024-01-01", periods=3, freq="MS"))
    assert c["y"].tolist() == [7.0, 0.0, 9.0]
