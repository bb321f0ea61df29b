"""The win-probability model needs the stage history of only a few deals: the training sample's (beyond
MAX_SNAPSHOT_ROWS) and those open at the scoring moment. Given every deal's close, that part of the
history gives exactly what the whole history gives, below the cap and above it."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from ml.deal_ids import DealIds
from ml.win_features import closings, open_at, open_moment_counts
from ml.stored_fit import StoredFit, load_fit, save_fit
from ml.win_probability import (
    deal_sample, deals_needing_history, fit_and_validate, open_opportunity_scores, score_and_validate, training_deals, training_moments,
)
from tests.demo_company.crm_frames import warehouse_frames

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crm() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """The demo company at scale 0.05 (1,982 deals, 1,879 closed, 4,069 snapshots of closed deals)."""
    history, opportunities = warehouse_frames(scale=0.05)
    as_of = history["valid_from"].max().normalize() + pd.Timedelta(days=1)
    return history, opportunities, closings(history, opportunities), as_of


def ended(opportunities: pd.DataFrame, closed: pd.DataFrame) -> pd.DataFrame:
    return opportunities[opportunities["opportunity_id"].isin(closed["opportunity_id"])]


def test_snapshots_are_counted_per_deal_without_building_them(crm) -> None:
    _, opportunities, closed, _ = crm
    moments = training_moments(opportunities, closed)
    assert len(open_at(ended(opportunities, closed), closed, moments)) == 4069
    snapshots = open_at(opportunities, closed, moments)  # the open deals' too
    expected = snapshots["opportunity_id"].value_counts().reindex(opportunities["opportunity_id"], fill_value=0)
    assert (expected == 0).sum() > 0 and expected.max() > 3
    assert open_moment_counts(opportunities, closed, moments).to_dict() == expected.to_dict()


@pytest.mark.parametrize("max_rows", [4069, 2000, 500])
def test_the_training_deals_give_the_deal_sample_of_every_snapshot(crm, max_rows: int) -> None:
    _, opportunities, closed, _ = crm
    moments = training_moments(opportunities, closed)
    expected = deal_sample(open_at(ended(opportunities, closed), closed, moments), max_rows).reset_index(drop=True)
    assert len(expected) == 4069 if max_rows == 4069 else max_rows - 5 < len(expected) <= max_rows
    pd.testing.assert_frame_equal(open_at(training_deals(opportunities, closed, max_rows), closed, moments), expected)


@pytest.mark.parametrize("max_rows", [400_000, 2000])
def test_the_history_of_the_needed_deals_scores_and_validates_as_the_whole_history(crm, max_rows: int) -> None:
    history, opportunities, closed, as_of = crm
    deals = deals_needing_history(opportunities, closed, as_of, training_deals(opportunities, closed, max_rows))
    part = history[history["opportunity_id"].isin(deals)]
    if max_rows < 4069:
        assert len(part) < 0.7 * len(history)  # most closed deals' history is not needed

    whole = score_and_validate(history, opportunities, as_of, max_rows=max_rows)
    needed = score_and_validate(part, opportunities, as_of, closed, max_rows=max_rows)

    pd.testing.assert_frame_equal(needed[0], whole[0])
    assert needed[1] == whole[1] == "gbm_isotonic"
    assert needed[2] is not None and whole[2] is not None
    pd.testing.assert_frame_equal(needed[2].curves, whole[2].curves)
    assert needed[2].summary().equals(whole[2].summary())


@pytest.mark.parametrize("max_rows", [400_000, 2000])
def test_ids_coded_as_integers_score_and_validate_as_the_text_ids(crm, max_rows: int) -> None:
    history, opportunities, closed, as_of = crm
    ids = DealIds.of(opportunities["opportunity_id"])
    coded = [ids.code(frame) for frame in (history, opportunities, closed)]
    assert all(frame["opportunity_id"].dtype == "uint64" for frame in coded)
    training = training_deals(coded[1], coded[2], max_rows)
    assert set(ids.decode(training)["opportunity_id"]) == set(training_deals(opportunities, closed, max_rows)["opportunity_id"])

    text = score_and_validate(history, opportunities, as_of, closed, max_rows=max_rows)
    integers = score_and_validate(*coded[:2], as_of, coded[2], max_rows=max_rows, training=training)

    pd.testing.assert_frame_equal(ids.decode(integers[0]), text[0])
    assert integers[1] == text[1] == "gbm_isotonic"
    assert integers[2].summary().equals(text[2].summary())


def test_a_stored_fit_scores_from_the_open_deals_history_as_a_new_fit_does(crm, tmp_path) -> None:
    history, opportunities, closed, as_of = crm
    training = training_deals(opportunities, closed, 2000)
    fitted = fit_and_validate(history, opportunities, as_of, closed, training=training)
    save_fit(tmp_path / "fit.pkl", StoredFit(fitted, "run-1", datetime(2026, 1, 1)))
    stored, why = load_fit(tmp_path / "fit.pkl")
    assert why == "" and stored.fitted.name == "gbm_isotonic" and stored.fitted.closed_deals == len(closed)

    open_deals = deals_needing_history(opportunities, closed, as_of, training.iloc[:0])
    assert 0 < len(open_deals) < 0.1 * len(opportunities)
    scores = open_opportunity_scores(history[history["opportunity_id"].isin(open_deals)], opportunities, closed, as_of, stored.fitted.model)

    pd.testing.assert_frame_equal(scores, score_and_validate(history, opportunities, as_of, max_rows=2000)[0])
    assert stored.fitted.validation.summary().equals(fitted.validation.summary())
