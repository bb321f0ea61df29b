"""A synthetic but realistic monthly demand panel, for tests, benchmarks and documentation.

Each series is Poisson demand around ``level · trend · season · noise``: a log-normal level
(a few dozen to a few thousand units), a yearly growth rate, a yearly seasonal profile (one peak
shared loosely across series, plus a second harmonic), and multiplicative log-normal noise. A
share of series are slow movers (mean below three units a month, so many zero months).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_panel(
    n_series: int = 30,
    n_months: int = 48,
    seed: int = 0,
    start: str = "2021-01-01",
    intermittent_share: float = 0.1,
) -> pd.DataFrame:
    """A long frame ``unique_id``, ``ds``, ``y`` with ``n_series`` series of ``n_months`` months."""
    rng = np.random.default_rng(seed)
    months = np.arange(n_months)
    ds = pd.date_range(start, periods=n_months, freq="MS")
    month_angle = 2 * np.pi * ds.month.to_numpy() / 12

    level = np.exp(rng.normal(np.log(200), 1.0, n_series))
    slow = rng.random(n_series) < intermittent_share
    level[slow] = rng.uniform(0.3, 3.0, slow.sum())
    growth = rng.normal(0.05, 0.15, n_series)
    amplitude = rng.uniform(0.1, 0.5, n_series)
    phase = rng.normal(2 * np.pi * 11 / 12, 1.0, n_series)  # peaks around November, loosely
    second = rng.uniform(0.0, 0.15, n_series)
    noise = rng.uniform(0.05, 0.25, n_series)

    trend = (1 + growth[:, None]) ** (months[None, :] / 12)
    season = 1 + amplitude[:, None] * np.cos(month_angle[None, :] - phase[:, None]) + second[:, None] * np.cos(
        2 * month_angle[None, :] - 2 * phase[:, None]
    )
    shocks = np.exp(rng.normal(0, noise[:, None], (n_series, n_months)) - noise[:, None] ** 2 / 2)
    mean = level[:, None] * np.clip(trend, 0.05, None) * np.clip(season, 0.05, None) * shocks
    y = rng.poisson(mean).astype(float)

    width = len(str(n_series - 1))
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i:0{width}d}" for i in range(n_series)], n_months),
            "ds": np.tile(ds, n_series),
            "y": y.ravel(),
        }
    )
