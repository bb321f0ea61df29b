"""Small builders for the ml tests."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd


def series(unique_id, start: str, values) -> pd.DataFrame:
    """One series as a long frame: consecutive month starts from ``start``."""
    values = np.asarray(values, dtype=float)
    return pd.DataFrame(
        {"unique_id": unique_id, "ds": pd.date_range(start, periods=len(values), freq="MS"), "y": values}
    )


def months(start: str, n: int) -> list[pd.Timestamp]:
    return list(pd.date_range(start, periods=n, freq="MS"))


def z(level: float) -> float:
    """The two-sided normal quantile for a ``level``% interval (0.9 quantile for 80 %)."""
    return NormalDist().inv_cdf(0.5 + level / 200)
