"""How much better the win-probability model is than the CRM's stage probability on the demo company.

The frames are the ones the warehouse gives the model (``int_opportunities__stage_history`` and
``fct_opportunities``), here built straight from the simulated stage changes of the demo company
(seed 42, scale 0.3) up to a fixed last export day, so the numbers do not move with the calendar.
The validation is the one the ``ml_win_probability_validation`` asset runs: train on the deals
closed before the cutoff (the month start before which 75 % of the deals closed), test on every
opportunity open at the month starts from the cutoff on.

Measured (scikit-learn 1.9): cutoff 2025-04-01, 6,484 test rows (3,333 deals closed later; 19,706 training rows),
Brier score 0.1156 for the model against 0.1954 for the CRM's stage probability (base rate 0.336).
"""

from __future__ import annotations

import pandas as pd
import pytest

from ml.win_probability import CRM_NAME, MODEL_NAME, validate_on_time
from tests.demo_company.crm_frames import warehouse_frames

pytestmark = pytest.mark.slow

def test_the_model_beats_the_crm_stage_probability_by_two_fifths() -> None:
    validation = validate_on_time(*warehouse_frames(scale=0.3))
    assert validation is not None
    assert validation.cutoff == pd.Timestamp("2025-04-01")
    assert (validation.test_rows, validation.test_opportunities, validation.train_rows) == (6484, 3333, 19706)
    assert validation.brier_model == pytest.approx(0.1156, abs=0.004)  # measured 0.1156
    assert validation.brier_crm == pytest.approx(0.1954, abs=0.0005)  # fixed by the data: measured 0.1954
    assert validation.brier_model < 0.65 * validation.brier_crm
    # calibrated: in every bin of 200 rows or more the observed win rate is within 6.5 points of the
    # prediction (measured 6.06 with the snapshot's deals in hash-of-id order; 5.5 with the order
    # the rows happened to arrive in, before the model fixed its own order)
    model = validation.curves[(validation.curves["forecaster"] == MODEL_NAME) & (validation.curves["n"] >= 200)]
    assert len(model) >= 6 and (model["observed_rate"] - model["mean_predicted"]).abs().max() < 0.065
    crm = validation.curves[validation.curves["forecaster"] == CRM_NAME]
    assert (crm["observed_rate"] - crm["mean_predicted"]).abs().max() > 0.15  # the stage probabilities are not (measured 0.20)
