"""The moment the open pipeline is scored at."""

from __future__ import annotations

import pandas as pd

from orchestration.assets.sales_forecast import scoring_moment


def test_the_pipeline_is_scored_at_the_start_of_the_day_after_the_latest_crm_change() -> None:
    history = pd.DataFrame({"valid_from": pd.to_datetime(["2025-03-01 10:00", "2025-03-04 17:30"])})
    opportunities = pd.DataFrame({"last_modified_at": pd.to_datetime(["2025-03-05 08:00", "2025-02-01 00:00"])})
    assert scoring_moment(history, opportunities) == pd.Timestamp("2025-03-06")
    assert scoring_moment(history.iloc[:0], opportunities) == pd.Timestamp("2025-03-06")  # no history recorded
