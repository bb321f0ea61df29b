"""Opportunity features as of a moment: exact values on a hand-made CRM, and no look-ahead."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.win_features import closings, features_as_of, month_starts, open_at, track_record_summary

T = pd.Timestamp


def crm() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Five deals: A (R1, account X) moves Prospecting → Proposal → won on 2025-03-20; B (R1, Y) lost
    on 2025-01-15; C (R2, X) open; D (R1, X) won at exactly 2025-02-01 00:00; E (R3, Z) won 2025-01-10."""
    history = pd.DataFrame(
        [
            ("A", "Prospecting", 100.0, 10, "2025-03-31", "2025-01-01 10:00"),
            ("A", "Proposal", 120.0, 60, "2025-03-31", "2025-02-10 09:00"),
            ("A", "Closed Won", 120.0, 100, "2025-03-20", "2025-03-20 12:00"),
            ("B", "Prospecting", 50.0, 10, "2025-01-31", "2024-12-01 08:00"),
            ("B", "Closed Lost", 50.0, 0, "2025-01-15", "2025-01-15 08:00"),
            ("C", "Qualification", 200.0, 20, "2025-04-30", "2025-01-20 00:00"),
            ("D", "Negotiation", 80.0, 80, "2025-02-01", "2025-01-05 00:00"),
            ("D", "Closed Won", 80.0, 100, "2025-02-01", "2025-02-01 00:00"),
            ("E", "Prospecting", 30.0, 10, "2025-01-10", "2024-12-20 00:00"),
            ("E", "Closed Won", 30.0, 100, "2025-01-10", "2025-01-10 00:00"),
        ],
        columns=["opportunity_id", "stage_name", "amount", "probability", "close_date", "valid_from"],
    )
    history["valid_from"] = pd.to_datetime(history["valid_from"])
    history["close_date"] = pd.to_datetime(history["close_date"]).dt.date
    history["is_closed"] = history["stage_name"].str.startswith("Closed")
    history["is_won"] = history["stage_name"] == "Closed Won"
    latest = history.drop_duplicates("opportunity_id", keep="last").set_index("opportunity_id")
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["A", "B", "C", "D", "E"],
            "account_id": ["X", "Y", "X", "X", "Z"],
            "sales_rep_id": ["R1", "R1", "R2", "R1", "R3"],
            "product_family": ["Bike", "Bike", "Parts", "Bike", "Parts"],
            "quantity": [2, 1, 5, 1, 3],
            "created_at": pd.to_datetime(["2025-01-01 10:00", "2024-12-01 08:00", "2025-01-20 00:00", "2025-01-05 00:00", "2024-12-20 00:00"]),
        }
    )
    for column in ("stage_name", "is_closed", "is_won", "amount", "probability", "close_date"):
        opportunities[column] = opportunities["opportunity_id"].map(latest[column])
    return history, opportunities


def test_closings_take_the_first_closed_state_and_fall_back_to_the_close_date() -> None:
    history, opportunities = crm()
    history = history[history["opportunity_id"] != "E"]  # E's close is only in its current record
    closed = closings(history, opportunities)
    assert closed["opportunity_id"].tolist() == ["E", "B", "D", "A"]
    assert closed["closed_at"].tolist() == [T("2025-01-11"), T("2025-01-15 08:00"), T("2025-02-01"), T("2025-03-20 12:00")]
    assert closed["is_won"].tolist() == [True, False, True, True]
    # each deal's rep and account, from its current record, for the track records
    assert closed["sales_rep_id"].tolist() == ["R3", "R1", "R1", "R1"]
    assert closed["account_id"].tolist() == ["Z", "Y", "X", "X"]


def test_features_are_the_same_from_a_closings_frame_without_rep_and_account() -> None:
    history, opportunities = crm()
    snapshots = pd.DataFrame({"opportunity_id": ["A", "C", "A"], "as_of": [T("2025-02-01"), T("2025-02-01"), T("2025-02-15")]})
    closed = closings(history, opportunities)
    bare = closed[["opportunity_id", "closed_at", "is_won"]]
    pd.testing.assert_frame_equal(features_as_of(history, opportunities, snapshots, bare), features_as_of(history, opportunities, snapshots, closed))


def test_open_at_a_moment_means_created_before_it_and_not_closed_by_it() -> None:
    history, opportunities = crm()
    rows = open_at(opportunities, closings(history, opportunities), [T("2025-01-15 08:00"), T("2025-02-01")])
    # B closes at exactly 08:00 and D at exactly midnight: both no longer open at those moments
    assert rows.groupby("as_of")["opportunity_id"].apply(sorted).to_dict() == {
        T("2025-01-15 08:00"): ["A", "D"],
        T("2025-02-01"): ["A", "C"],
    }
    assert month_starts(T("2024-11-13 08:00"), T("2025-02-01")) == [T("2024-12-01"), T("2025-01-01"), T("2025-02-01")]


def test_features_are_the_state_and_track_record_known_at_the_moment() -> None:
    history, opportunities = crm()
    snapshots = pd.DataFrame({"opportunity_id": ["A", "C", "A"], "as_of": [T("2025-02-01"), T("2025-02-01"), T("2025-02-15")]})
    rows = features_as_of(history, opportunities, snapshots).set_index(["opportunity_id", "as_of"])

    a_feb = rows.loc[("A", T("2025-02-01"))]
    assert (a_feb["stage_name"], a_feb["amount"], a_feb["crm_probability"]) == ("Prospecting", 100.0, 0.1)
    assert a_feb["age_days"] == pytest.approx(30 + 14 / 24) and a_feb["days_since_change"] == pytest.approx(30 + 14 / 24)
    assert a_feb["days_to_close"] == 58 and a_feb["changes_so_far"] == 1 and a_feb["amount_vs_first"] == 1.0
    assert a_feb["elapsed_share"] == pytest.approx((30 + 14 / 24) / (30 + 14 / 24 + 58))
    # closed strictly before 2025-02-01: B (R1, lost) and E (R3, won); D closes at that very moment
    assert a_feb["rep_closed_before"] == 1 and a_feb["rep_win_rate_before"] == pytest.approx((0 + 10 * 0.5) / (1 + 10))
    assert a_feb["account_closed_before"] == 0 and a_feb["account_win_rate_before"] == pytest.approx(0.5)
    assert a_feb["quantity"] == 2 and a_feb["product_family"] == "Bike" and a_feb["has_recorded_state"]
    assert a_feb["is_won"] == True and a_feb["closed_at"] == T("2025-03-20 12:00")  # noqa: E712  (the outcome, for training)

    a_mid = rows.loc[("A", T("2025-02-15"))]
    assert (a_mid["stage_name"], a_mid["amount"], a_mid["crm_probability"]) == ("Proposal", 120.0, 0.6)
    assert a_mid["amount_vs_first"] == pytest.approx(1.2) and a_mid["changes_so_far"] == 2
    assert a_mid["days_since_change"] == pytest.approx(4 + 15 / 24)
    # now D (R1, X, won) counts too: company 2 won of 3
    assert a_mid["rep_closed_before"] == 2 and a_mid["rep_win_rate_before"] == pytest.approx((1 + 10 * 2 / 3) / (2 + 10))
    assert a_mid["account_closed_before"] == 1 and a_mid["account_win_rate_before"] == pytest.approx((1 + 10 * 2 / 3) / (1 + 10))

    c_feb = rows.loc[("C", T("2025-02-01"))]
    assert (c_feb["stage_name"], c_feb["rep_closed_before"], c_feb["rep_win_rate_before"]) == ("Qualification", 0, 0.5)
    assert pd.isna(c_feb["closed_at"]) and pd.isna(c_feb["is_won"])


def test_nothing_recorded_after_the_moment_changes_the_features() -> None:
    history, opportunities = crm()
    snapshots = pd.DataFrame({"opportunity_id": ["A", "C"], "as_of": [T("2025-02-01"), T("2025-02-01")]})
    before = features_as_of(history, opportunities, snapshots)

    # rewrite the future: A is lost instead of won, C and the rep's other deals change later
    future = history["valid_from"] > T("2025-02-01")
    rewritten = history.copy()
    rewritten.loc[future & (rewritten["opportunity_id"] == "A"), ["stage_name", "is_won", "amount", "probability"]] = ["Closed Lost", False, 1.0, 0]
    extra = pd.DataFrame(
        {"opportunity_id": ["C", "C"], "stage_name": ["Negotiation", "Closed Won"], "amount": [999.0, 999.0], "probability": [80, 100],
         "close_date": [pd.Timestamp("2025-02-20").date()] * 2, "valid_from": [T("2025-02-03"), T("2025-02-20")],
         "is_closed": [False, True], "is_won": [False, True]}
    )
    rewritten = pd.concat([rewritten, extra], ignore_index=True)
    current = opportunities.copy()
    current.loc[current["opportunity_id"] == "C", ["stage_name", "is_closed", "is_won", "amount"]] = ["Closed Won", True, True, 999.0]
    after = features_as_of(rewritten, current, snapshots)

    outcome = ["closed_at", "is_won"]
    pd.testing.assert_frame_equal(before.drop(columns=outcome), after.drop(columns=outcome))
    assert after["is_won"].tolist() == [False, True]  # only the labels moved


def test_without_a_recorded_state_the_current_record_stands_in() -> None:
    history, opportunities = crm()
    rows = features_as_of(history[history["opportunity_id"] != "C"], opportunities, pd.DataFrame({"opportunity_id": ["C"], "as_of": [T("2025-03-01")]}))
    assert not rows.loc[0, "has_recorded_state"]
    assert (rows.loc[0, "stage_name"], rows.loc[0, "amount"], rows.loc[0, "crm_probability"], rows.loc[0, "changes_so_far"]) == ("Qualification", 200.0, 0.2, 0)


# Closes before each moment per rep and account (B lost, D won, E won; A won on 03-20): what a
# warehouse summary holds, written by hand.
SUMMARIES = {
    T("2025-02-15"): [("R1", "Y", "2025-01-15 08:00", 1, 0), ("R1", "X", "2025-02-01 00:00", 1, 1), ("R3", "Z", "2025-01-10 00:00", 1, 1)],
    T("2025-03-25"): [("R1", "Y", "2025-01-15 08:00", 1, 0), ("R1", "X", "2025-03-20 12:00", 2, 2), ("R3", "Z", "2025-01-10 00:00", 1, 1)],
}
# (deal, moment) → rep closed, rep won, account closed, account won, company closed, company won before it
TRACK_RECORDS = {
    ("A", T("2025-02-15")): (2, 1, 1, 1, 3, 2),
    ("C", T("2025-02-15")): (0, 0, 1, 1, 3, 2),
    ("C", T("2025-03-25")): (0, 0, 2, 2, 4, 3),
}


@pytest.mark.parametrize("moment", list(SUMMARIES))
def test_the_summary_of_the_closes_before_a_moment_gives_the_features_at_it(moment) -> None:
    history, opportunities = crm()
    summary = pd.DataFrame(SUMMARIES[moment], columns=["sales_rep_id", "account_id", "closed_at", "closes", "wins"])
    summary["closed_at"] = pd.to_datetime(summary["closed_at"])
    summarised = track_record_summary(closings(history, opportunities), moment).sort_values(["sales_rep_id", "account_id"], ignore_index=True)
    expected = summary.sort_values(["sales_rep_id", "account_id"], ignore_index=True)
    pd.testing.assert_frame_equal(summarised[expected.columns], expected, check_dtype=False)
    snapshots = open_at(opportunities, closings(history, opportunities), [moment])
    from_closes = features_as_of(history, opportunities, snapshots)
    from_summary = features_as_of(history, opportunities, snapshots, summary)
    assert from_summary["closed_at"].isna().all() and from_summary["is_won"].isna().all()  # the summary names no deal
    pd.testing.assert_frame_equal(from_summary.drop(columns=["closed_at", "is_won"]), from_closes.drop(columns=["closed_at", "is_won"]))
    assert open_at(opportunities, summary, [moment])["opportunity_id"].tolist() == ["A", "B", "C", "D", "E"]  # nothing closed
    for row in from_summary.itertuples():
        rep_closed, rep_won, account_closed, account_won, company_closed, company_won = TRACK_RECORDS[(row.opportunity_id, moment)]
        company_rate = company_won / company_closed
        assert (row.rep_closed_before, row.account_closed_before) == (rep_closed, account_closed)
        assert row.rep_win_rate_before == pytest.approx((rep_won + 10 * company_rate) / (rep_closed + 10))
        assert row.account_win_rate_before == pytest.approx((account_won + 10 * company_rate) / (account_closed + 10))
