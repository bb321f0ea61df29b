"""How good a probability is: Brier score and the calibration curve (predicted vs observed, per bin)."""

from __future__ import annotations

import numpy as np
import pandas as pd

CURVE_COLUMNS = ["bin", "bin_lower", "bin_upper", "n", "mean_predicted", "observed_rate"]


def brier_score(outcome: pd.Series | np.ndarray, predicted: pd.Series | np.ndarray) -> float:
    """Mean squared difference between the predicted probability and the 0/1 outcome (lower is better)."""
    y = np.asarray(outcome, dtype=float)
    p = np.asarray(predicted, dtype=float)
    return float(np.mean((p - y) ** 2))


def calibration_curve(outcome: pd.Series | np.ndarray, predicted: pd.Series | np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Per equal-width bin of the predicted probability ([0, 0.1), [0.1, 0.2), ... [0.9, 1]): the
    rows in it (``n``), their mean prediction and the share that came true. Empty bins are left out.
    A well-calibrated forecaster has ``mean_predicted`` close to ``observed_rate`` in every bin."""
    y = np.asarray(outcome, dtype=float)
    p = np.asarray(predicted, dtype=float)
    index = np.minimum((p * bins).astype(int), bins - 1)
    frame = pd.DataFrame({"bin": index, "y": y, "p": p})
    curve = frame.groupby("bin").agg(n=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean")).reset_index()
    curve["bin_lower"] = curve["bin"] / bins
    curve["bin_upper"] = (curve["bin"] + 1) / bins
    curve["n"] = curve["n"].astype(int)
    return curve[CURVE_COLUMNS]
