"""ml.stored_fit: when a stored win-probability fit may score, and what a stored file must be to be used."""

from __future__ import annotations

import pickle
from datetime import datetime

import pandas as pd

from ml.stored_fit import StoredFit, fingerprint, load_fit, refit_reason, save_fit
from ml.win_probability import CRM_NAME, FittedWinProbability

FITTED_AS_OF = pd.Timestamp("2025-04-21")


def stored(closed_deals: int = 7) -> StoredFit:
    return StoredFit(FittedWinProbability(None, CRM_NAME, None, FITTED_AS_OF, closed_deals), "run-1", datetime(2025, 4, 21, 6))


def test_a_fit_scores_until_it_is_refit_after_days_old() -> None:
    day = pd.Timedelta(days=1)
    assert refit_reason(stored(), "", FITTED_AS_OF, 7) is None
    assert refit_reason(stored(), "", FITTED_AS_OF + 6 * day, 9) is None
    assert refit_reason(stored(), "", FITTED_AS_OF + 7 * day, 9) == "the model is 7 days old (refit_after_days: 7)"
    assert refit_reason(stored(), "", FITTED_AS_OF + 1.5 * day, 9, refit_after_days=1) == "the model is 1.5 days old (refit_after_days: 1)"
    assert refit_reason(stored(), "", FITTED_AS_OF, 7, refit_after_days=0) == "refit_after_days is 0: every run fits"


def test_a_crm_that_went_back_is_refit() -> None:
    went_back = "a rebuilt or another warehouse"
    assert refit_reason(stored(), "", FITTED_AS_OF - pd.Timedelta(days=1), 7).endswith(went_back)
    assert refit_reason(stored(), "", FITTED_AS_OF + pd.Timedelta(days=1), 6) == (
        "the CRM went back (scoring moment 2025-04-22 00:00:00, 6 closed deals) from the model's "
        "(2025-04-21 00:00:00, 7): a rebuilt or another warehouse"
    )


def test_without_a_usable_fit_the_reason_is_why(tmp_path) -> None:
    path = tmp_path / "models" / "win_probability.pkl"
    fit, why = load_fit(path)
    assert fit is None and why == f"no fitted model at {path}"
    assert refit_reason(fit, why, FITTED_AS_OF, 7) == why


def test_a_stored_fit_reads_back_equal(tmp_path) -> None:
    path = tmp_path / "models" / "win_probability.pkl"
    save_fit(path, stored())
    fit, why = load_fit(path)
    assert why == "" and fit == stored()
    assert [p.name for p in path.parent.iterdir()] == ["win_probability.pkl"]  # the partial file was renamed


def test_a_fit_made_with_another_scikit_learn_or_feature_set_is_not_used(tmp_path) -> None:
    path = tmp_path / "win_probability.pkl"
    made_with = {**fingerprint(), "scikit-learn": "0.24.2", "features": ["amount"]}
    path.write_bytes(pickle.dumps({"fingerprint": made_with, "fit": stored()}))
    assert load_fit(path) == (None, f"the fitted model at {path} was made with another features, scikit-learn")


def test_a_truncated_file_is_not_used(tmp_path) -> None:
    path = tmp_path / "win_probability.pkl"
    save_fit(path, stored())
    path.write_bytes(path.read_bytes()[:40])
    fit, why = load_fit(path)
    assert fit is None and why.startswith(f"the fitted model at {path} cannot be read (")
