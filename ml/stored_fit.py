"""The win-probability fit kept between runs: a daily run scores today's open pipeline with the model
fitted in the last few days instead of fitting it again.

A fit (``ml.win_probability.fit_and_validate``) reads the stage history of a 400k-snapshot training
sample, validates on time and trains twice: at 10M order lines 20 of the step's 50 seconds. The
deals it learns from change little from one day to the next (a day's closes against millions), so
refitting every ``refit_after_days`` (default 7) days is enough; scoring stays daily and sees
every change of the open deals. :func:`refit_reason` says when the stored fit may not be used.

The fit is a pickle under ``$SALESOPS_HOME/models/`` (trusted like the warehouse beside it), written
to a temporary file and renamed, so a crash never leaves half a file. It is used only when it was
made by the same model, features, snapshot cap and scikit-learn, pandas and NumPy versions
(:func:`fingerprint`); anything else refits.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn

from ml.win_features import CATEGORICAL_FEATURES, FEATURES
from ml.win_probability import MAX_SNAPSHOT_ROWS, MODEL_NAME, FittedWinProbability

FORMAT = 1  # raise when FittedWinProbability or the model's fields change
REFIT_AFTER_DAYS = 7


@dataclass(frozen=True)
class StoredFit:
    """A fit and the run that made it (its validation is that run's calibration table)."""

    fitted: FittedWinProbability
    run_id: str
    fitted_at: datetime


def fingerprint() -> dict[str, object]:
    """What a stored fit must have been made with to be used."""
    return {
        "format": FORMAT, "model": MODEL_NAME, "features": list(FEATURES), "categorical_features": list(CATEGORICAL_FEATURES),
        "max_snapshot_rows": MAX_SNAPSHOT_ROWS, "scikit-learn": sklearn.__version__, "pandas": pd.__version__, "numpy": np.__version__,
    }


def save_fit(path: Path, fit: StoredFit) -> None:
    """Write ``fit`` to ``path`` whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as file:
        pickle.dump({"fingerprint": fingerprint(), "fit": fit}, file, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, path)


def load_fit(path: Path) -> tuple[StoredFit | None, str]:
    """The fit stored at ``path`` and '', or None and why it cannot be used."""
    if not path.exists():
        return None, f"no fitted model at {path}"
    try:
        with path.open("rb") as file:
            stored = pickle.load(file)  # noqa: S301 - our own file under SALESOPS_HOME, trusted like the warehouse
        made_with, fit = stored["fingerprint"], stored["fit"]
    except Exception as error:  # a truncated or foreign file: refit and overwrite it
        return None, f"the fitted model at {path} cannot be read ({type(error).__name__}: {error})"
    expected = fingerprint()
    if made_with != expected:
        changed = sorted(key for key in expected if made_with.get(key) != expected[key])
        return None, f"the fitted model at {path} was made with another {', '.join(changed)}"
    return fit, ""


def refit_reason(
    fit: StoredFit | None, unusable: str, as_of: pd.Timestamp, closed_deals: int, refit_after_days: int = REFIT_AFTER_DAYS
) -> str | None:
    """Why the model must be fitted again before scoring at ``as_of`` a CRM with ``closed_deals``
    closed deals; None when ``fit`` may score. ``unusable``: why :func:`load_fit` found none."""
    if fit is None:
        return unusable
    fitted = fit.fitted
    if refit_after_days <= 0:
        return "refit_after_days is 0: every run fits"
    if as_of < fitted.as_of or closed_deals < fitted.closed_deals:
        return (
            f"the CRM went back (scoring moment {as_of}, {closed_deals} closed deals) from the model's "
            f"({fitted.as_of}, {fitted.closed_deals}): a rebuilt or another warehouse"
        )
    age = (as_of - fitted.as_of) / pd.Timedelta(days=1)
    if age >= refit_after_days:
        return f"the model is {age:g} days old (refit_after_days: {refit_after_days})"
    return None
