"""Day arithmetic on numpy ``datetime64[D]`` arrays, and the yearly demand cycle."""

from __future__ import annotations

from datetime import date

import numpy as np

PEAK_DAY_OF_YEAR = 135  # mid-May: bikes sell in spring


def day(value: date) -> np.datetime64:
    return np.datetime64(value, "D")


def day_of_year(days: np.ndarray) -> np.ndarray:
    return (days - days.astype("datetime64[Y]")).astype(int) + 1


def years_since(days: np.ndarray, origin: np.datetime64) -> np.ndarray:
    return (days - origin).astype(int) / 365.25


def yearly_cycle(days: np.ndarray, amplitude: float | np.ndarray) -> np.ndarray:
    """1 + amplitude at the spring peak, 1 - amplitude in late autumn."""
    return 1 + amplitude * np.cos(2 * np.pi * (day_of_year(days) - PEAK_DAY_OF_YEAR) / 365.25)


def month_start(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[M]").astype("datetime64[D]")


def uniform_days(rng: np.random.Generator, low: int, high: int, size: int) -> np.ndarray:
    """Whole-day offsets in [low, high]."""
    return rng.integers(low, high + 1, size=size).astype("timedelta64[D]")
