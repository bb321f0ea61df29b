"""The bookings the open pipeline should bring, per expected close month and product family.

Each open opportunity books its amount with its win probability, independently of the others:
the expected bookings are sum(amount × p), their variance sum(amount² × p × (1 − p)), and the
interval is the normal approximation around the expectation (floored at 0). The same sums with the
CRM's stage probability give the CRM-weighted pipeline beside it.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

LEVEL = 80
COLUMNS = [
    "month", "product_family", "open_opportunities", "pipeline_amount", "crm_weighted_amount",
    "expected_bookings_amount", "expected_bookings_lo", "expected_bookings_hi", "expected_bookings_units", "level",
]


def pipeline_forecast(scored: pd.DataFrame, level: int = LEVEL) -> pd.DataFrame:
    """Sum scored open opportunities (``close_date``, ``product_family``, ``amount``, ``quantity``,
    ``crm_probability``, ``win_probability``) per close month and family; see the module docstring."""
    z = NormalDist().inv_cdf(0.5 + level / 200)
    amount = scored["amount"].astype(float).fillna(0.0)
    p = scored["win_probability"].astype(float).fillna(0.0)
    frame = pd.DataFrame(
        {
            "month": pd.to_datetime(scored["close_date"]).dt.to_period("M").dt.to_timestamp(),
            "product_family": scored["product_family"],
            "pipeline_amount": amount,
            "crm_weighted_amount": amount * scored["crm_probability"].astype(float).fillna(0.0),
            "expected_bookings_amount": amount * p,
            "variance": amount**2 * p * (1 - p),
            "expected_bookings_units": scored["quantity"].astype(float).fillna(0.0) * p,
        }
    )
    sums = frame.groupby(["month", "product_family"], as_index=False).agg(
        open_opportunities=("pipeline_amount", "size"),
        pipeline_amount=("pipeline_amount", "sum"),
        crm_weighted_amount=("crm_weighted_amount", "sum"),
        expected_bookings_amount=("expected_bookings_amount", "sum"),
        variance=("variance", "sum"),
        expected_bookings_units=("expected_bookings_units", "sum"),
    )
    spread = z * np.sqrt(sums["variance"])
    sums["expected_bookings_lo"] = (sums["expected_bookings_amount"] - spread).clip(lower=0.0)
    sums["expected_bookings_hi"] = sums["expected_bookings_amount"] + spread
    sums["level"] = level
    return sums[COLUMNS].sort_values(["month", "product_family"]).reset_index(drop=True)
