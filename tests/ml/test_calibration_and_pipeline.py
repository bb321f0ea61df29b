"""Brier score, calibration bins and the pipeline forecast's sums on hand-made rows."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.calibration import brier_score, calibration_curve
from ml.pipeline_forecast import pipeline_forecast
from tests.ml.helpers import z


def test_brier_score_is_the_mean_squared_error_of_the_probability() -> None:
    assert brier_score([0, 0, 1, 1, 1], [0.05, 0.15, 0.12, 0.95, 1.0]) == pytest.approx((0.0025 + 0.0225 + 0.7744 + 0.0025 + 0) / 5)


def test_calibration_curve_bins_predictions_and_leaves_empty_bins_out() -> None:
    curve = calibration_curve([0, 0, 1, 1, 1], [0.05, 0.15, 0.12, 0.95, 1.0])
    assert curve["bin"].tolist() == [0, 1, 9]
    assert curve["bin_lower"].tolist() == [0.0, 0.1, 0.9] and curve["bin_upper"].tolist() == [0.1, 0.2, 1.0]
    assert curve["n"].tolist() == [1, 2, 2]
    assert curve["mean_predicted"].tolist() == pytest.approx([0.05, 0.135, 0.975])
    assert curve["observed_rate"].tolist() == [0.0, 0.5, 1.0]


def test_pipeline_forecast_sums_expected_bookings_per_close_month_and_family() -> None:
    scored = pd.DataFrame(
        {
            "close_date": pd.to_datetime(["2025-03-05", "2025-03-28", "2025-03-10", "2025-04-01"]).date,
            "product_family": ["Bike", "Bike", "Parts", "Bike"],
            "amount": [1000.0, 500.0, 200.0, None],
            "quantity": [10, 4, 50, 3],
            "crm_probability": [0.6, 0.2, 0.1, 0.8],
            "win_probability": [0.5, 0.1, 1.0, 0.7],
        }
    )
    result = pipeline_forecast(scored, level=80).set_index(["month", "product_family"])
    assert result.index.tolist() == [(pd.Timestamp("2025-03-01"), "Bike"), (pd.Timestamp("2025-03-01"), "Parts"), (pd.Timestamp("2025-04-01"), "Bike")]
    bike = result.loc[(pd.Timestamp("2025-03-01"), "Bike")]
    assert bike["open_opportunities"] == 2 and bike["pipeline_amount"] == 1500.0
    assert bike["crm_weighted_amount"] == pytest.approx(1000 * 0.6 + 500 * 0.2)
    assert bike["expected_bookings_amount"] == pytest.approx(1000 * 0.5 + 500 * 0.1)
    assert bike["expected_bookings_units"] == pytest.approx(10 * 0.5 + 4 * 0.1)
    spread = z(80) * (1000**2 * 0.25 + 500**2 * 0.09) ** 0.5
    assert 550 - spread < 0 and bike["expected_bookings_lo"] == 0.0  # floored: bookings are never negative
    assert bike["expected_bookings_hi"] == pytest.approx(550 + spread)
    parts = result.loc[(pd.Timestamp("2025-03-01"), "Parts")]
    assert parts["expected_bookings_lo"] == parts["expected_bookings_hi"] == 200.0  # a sure deal has no spread
    april = result.loc[(pd.Timestamp("2025-04-01"), "Bike")]
    assert (april["expected_bookings_amount"], april["expected_bookings_units"]) == (0.0, pytest.approx(2.1))  # no amount: books nothing
