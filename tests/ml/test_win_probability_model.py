"""The win-probability model is a function of its rows, not of the order a query returned them in;
so is the sample of deals it trains on beyond MAX_SNAPSHOT_ROWS."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.win_features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from ml.win_probability import WinProbabilityModel, deal_sample


def snapshot_rows(n_opportunities: int = 140, n_snapshots: int = 5, seed: int = 3) -> pd.DataFrame:
    """Month-start snapshots of open deals: many rows share an ``as_of``, and the fit/calibration split
    (the latest quarter of the rows) falls inside one as_of: ties the row order must not decide."""
    rng = np.random.default_rng(seed)
    n = n_opportunities * n_snapshots
    rows = pd.DataFrame({name: rng.normal(size=n) for name in NUMERIC_FEATURES})
    rows["stage_name"] = rng.choice(["Qualify", "Propose", "Negotiate"], size=n)
    rows["product_family"] = rng.choice(["Road", "Mountain"], size=n)
    rows["opportunity_id"] = [f"OPP{i % n_opportunities:04d}" for i in range(n)]
    rows["as_of"] = pd.to_datetime([f"2025-0{1 + i // n_opportunities}-01" for i in range(n)])
    chance = 1 / (1 + np.exp(-(1.5 * rows["crm_probability"] + (rows["stage_name"] == "Negotiate"))))
    rows["is_won"] = rng.random(n) < chance
    return rows


def test_shuffled_rows_give_the_same_model() -> None:
    rows = snapshot_rows()
    assert set(CATEGORICAL_FEATURES) <= set(rows.columns)
    shuffled = rows.sample(frac=1.0, random_state=11).reset_index(drop=True)
    in_order = WinProbabilityModel().fit(rows).predict(rows)
    reordered = WinProbabilityModel().fit(shuffled).predict(rows)
    assert np.array_equal(in_order, reordered)
    assert len(np.unique(in_order)) > 3  # a real model, not a constant


def test_the_deal_sample_takes_whole_deals_in_hash_order_while_they_fit() -> None:
    rows = snapshot_rows()
    rows = rows[(rows.index * 7) % 11 != 0]  # deals with 3 to 5 snapshots
    ids = sorted(rows["opportunity_id"].unique())
    hashes = pd.util.hash_pandas_object(pd.Series(ids), index=False).tolist()
    expected, total = set(), 0
    for _, deal in sorted(zip(hashes, ids)):
        total += int((rows["opportunity_id"] == deal).sum())
        if total > 300:
            break
        expected.add(deal)

    sample = deal_sample(rows, max_rows=300)
    assert set(sample["opportunity_id"]) == expected and 0 < len(sample) <= 300
    assert len(sample) == rows["opportunity_id"].isin(expected).sum()  # every snapshot of a kept deal
    assert len(sample) > 300 - 5  # stops at the first deal that does not fit: at most one deal's rows short
    shuffled = rows.sample(frac=1.0, random_state=5)
    assert set(deal_sample(shuffled, max_rows=300)["opportunity_id"]) == expected
    assert deal_sample(rows, max_rows=len(rows)) is rows  # under the cap: every row
