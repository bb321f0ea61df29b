"""A hand-made CRM in a real warehouse (DuckDB or PostgreSQL), for what the win-probability assets read.

Nine deals; snapshots (month starts while open, up to the last close) counted by hand:

| deal | created | history (valid_from: stage) | closes | snapshots |
| --- | --- | --- | --- | --- |
| W1 | 2024-11-15 09:00 | 11-15 Prospecting, 01-10 Proposal, 2025-02-10 12:00 Closed Won | won 2025-02-10 12:00 | 12-01, 01-01, 02-01: 3 |
| L1 | 2024-12-01 00:00 | 12-01 Prospecting, 2025-03-01 00:00 Closed Lost | lost 2025-03-01 (exactly) | 01-01, 02-01: 2 |
| W2 | 2025-01-20 | 01-20 Prospecting, 01-25 Closed Won | won 2025-01-25 | none |
| R1 | 2024-12-10 | 12-10 Prospecting (closed only in its record, close date 2025-01-31) | lost 2025-02-01 | 01-01: 1 |
| L2 | 2024-10-05 | 10-05 Prospecting, 12-01 Qualification, 02-01 Negotiation, 2025-04-15 10:00 Closed Lost | lost 2025-04-15 10:00 | 11-01 … 04-01: 6 |
| W3 | 2024-12-20 | 12-20 Prospecting, 01-05 Closed Won, 01-20 Negotiation (reopened), 03-10 Closed Lost | won 2025-01-05 (first close) | 01-01: 1 |
| O1 | 2025-02-01 | 02-01 Prospecting | open | – |
| O2 | 2024-12-05 | 12-05 Prospecting, 2025-03-01 Proposal | open | – |
| F1 | 2025-03-10 | 03-10 Negotiation (closed won in its record, close date 2026-06-30) | won 2026-07-01: open at the scoring moment | 2025-04-01 … 2026-06-01: 15 |

28 snapshots in all. The latest change is L2's close (2025-04-15 10:00), the latest record change
O2's (2025-04-20 08:00): scored as of 2025-04-21.
"""

from __future__ import annotations

import pandas as pd

from orchestration.warehouse import FrameWrite, Warehouse

T = pd.Timestamp
HISTORY = [  # opportunity_id, stage_name, amount, probability, close_date, valid_from
    ("W1", "Prospecting", 100.0, 10, "2025-02-28", "2024-11-15 09:00"),
    ("W1", "Proposal", 110.0, 60, "2025-02-28", "2025-01-10 00:00"),
    ("W1", "Closed Won", 110.0, 100, "2025-02-10", "2025-02-10 12:00"),
    ("L1", "Prospecting", 50.0, 10, "2025-03-31", "2024-12-01 00:00"),
    ("L1", "Closed Lost", 50.0, 0, "2025-03-01", "2025-03-01 00:00"),
    ("W2", "Prospecting", 20.0, 10, "2025-01-31", "2025-01-20 00:00"),
    ("W2", "Closed Won", 20.0, 100, "2025-01-25", "2025-01-25 00:00"),
    ("R1", "Prospecting", 70.0, 10, "2025-01-31", "2024-12-10 00:00"),
    ("L2", "Prospecting", 300.0, 10, "2025-05-31", "2024-10-05 00:00"),
    ("L2", "Qualification", 300.0, 20, "2025-05-31", "2024-12-01 00:00"),
    ("L2", "Negotiation", 280.0, 80, "2025-05-31", "2025-02-01 00:00"),
    ("L2", "Closed Lost", 280.0, 0, "2025-04-15", "2025-04-15 10:00"),
    ("W3", "Prospecting", 40.0, 10, "2025-01-31", "2024-12-20 00:00"),
    ("W3", "Closed Won", 40.0, 100, "2025-01-05", "2025-01-05 00:00"),
    ("W3", "Negotiation", 40.0, 80, "2025-03-31", "2025-01-20 00:00"),
    ("W3", "Closed Lost", 40.0, 0, "2025-03-10", "2025-03-10 00:00"),
    ("O1", "Prospecting", 60.0, 10, "2025-06-30", "2025-02-01 00:00"),
    ("O2", "Prospecting", 90.0, 10, "2025-05-31", "2024-12-05 00:00"),
    ("O2", "Proposal", 95.0, 60, "2025-05-31", "2025-03-01 00:00"),
    ("F1", "Negotiation", 500.0, 80, "2026-06-30", "2025-03-10 00:00"),
]
CREATED = {
    "W1": "2024-11-15 09:00", "L1": "2024-12-01 00:00", "W2": "2025-01-20 00:00", "R1": "2024-12-10 00:00",
    "L2": "2024-10-05 00:00", "W3": "2024-12-20 00:00", "O1": "2025-02-01 00:00", "O2": "2024-12-05 00:00", "F1": "2025-03-10 00:00",
}
# the current records that differ from the last history row: R1 and F1 closed without a closed state
CURRENT = {"R1": ("Closed Lost", 0, "2025-01-31"), "F1": ("Closed Won", 100, "2026-06-30")}
LAST_MODIFIED = {"O2": "2025-04-20 08:00"}  # the others: their last history change
SNAPSHOTS = {"W1": 3, "L1": 2, "W2": 0, "R1": 1, "L2": 6, "W3": 1, "F1": 15}
OPEN_AT_SCORING = {"O1", "O2", "F1"}
AS_OF = T("2025-04-21")


def history_frame(rows: list[tuple] = HISTORY) -> pd.DataFrame:
    """Rows of ``int_opportunities__stage_history`` (the columns the assets read, and the change number)."""
    history = pd.DataFrame(rows, columns=["opportunity_id", "stage_name", "amount", "probability", "close_date", "valid_from"])
    history["change_number"] = history.groupby("opportunity_id").cumcount() + 1
    history["is_closed"] = history["stage_name"].str.startswith("Closed")
    history["is_won"] = history["stage_name"] == "Closed Won"
    history["close_date"] = pd.to_datetime(history["close_date"])
    history["valid_from"] = pd.to_datetime(history["valid_from"])
    return history


def opportunities_frame(history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of ``fct_opportunities``: the last row of ``history`` (the CRM's), or the current record where it differs."""
    latest = (history_frame() if history is None else history).drop_duplicates("opportunity_id", keep="last").set_index("opportunity_id")
    ids = list(CREATED)
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ids, "account_id": ["A1", "A2", "A1", "A3", "A2", "A1", "A3", "A2", "A1"],
            "sales_rep_id": ["R-1", "R-2", "R-1", "R-1", "R-2", "R-2", "R-1", "R-2", "R-1"],
            "product_family": ["Road", "Mountain"] * 4 + ["Road"], "quantity": range(1, 10),
            "created_at": pd.to_datetime([CREATED[i] for i in ids]),
            "stage_name": latest.loc[ids, "stage_name"].to_numpy(), "amount": latest.loc[ids, "amount"].to_numpy(),
            "probability": latest.loc[ids, "probability"].to_numpy(), "close_date": latest.loc[ids, "close_date"].to_numpy(),
            "last_modified_at": [T(LAST_MODIFIED.get(i, latest.loc[i, "valid_from"])) for i in ids],
        }
    )
    for deal, (stage, probability, close_date) in CURRENT.items():
        opportunities.loc[opportunities["opportunity_id"] == deal, ["stage_name", "probability", "close_date"]] = [stage, probability, T(close_date)]
    opportunities["is_closed"] = opportunities["stage_name"].str.startswith("Closed")
    opportunities["is_won"] = opportunities["stage_name"] == "Closed Won"
    return opportunities


def write_crm(warehouse: Warehouse, deals: set[str] | None = None) -> None:
    """The CRM (or some of its ``deals``) as the tables dbt builds, in a scratch warehouse: the assets read nothing else."""
    history, opportunities = history_frame(), opportunities_frame()
    if deals is not None:
        history, opportunities = history[history["opportunity_id"].isin(deals)], opportunities[opportunities["opportunity_id"].isin(deals)]
    write_tables(warehouse, history, opportunities)


def write_tables(warehouse: Warehouse, history: pd.DataFrame, opportunities: pd.DataFrame) -> None:
    """``history`` and ``opportunities`` as the stage history and the opportunities' mart dbt builds."""
    warehouse.write_frames(
        [
            FrameWrite("intermediate", "int_opportunities__stage_history", history),
            FrameWrite("marts", "fct_opportunities", opportunities),
        ]
    )


# max_rows → the deals whose history must be read. In the order of pandas' hash of the ids
# (L1 2, L2 6, W1 3, W3 1, R1 1, F1 15 snapshots; cumulative 2, 8, 11, 12, 13, 28) a cap of 10
# keeps L1 and L2 and stops at W1 (W3 and R1 would fit, but the sample is a prefix of the hash
# order). W2 never: it has no snapshot. O1, O2 and F1 always: they are scored.
EXPECTED_DEALS = {
    10: {"L1", "L2", "O1", "O2", "F1"},
    28: {"W1", "L1", "R1", "L2", "W3", "O1", "O2", "F1"},
}
HASH_ORDER = ["L1", "L2", "W1", "W3", "R1", "F1"]


def assert_reads_only_the_needed_history(warehouse: Warehouse) -> None:
    """read_win_probability_inputs on the hand-made CRM: exactly the expected deals' whole history, every
    deal's close, the scoring moment; the scores equal those of the whole history."""
    from ml.win_features import closings
    from ml.win_probability import score_and_validate
    from orchestration.win_probability_inputs import read_win_probability_inputs

    hashes = pd.util.hash_pandas_object(pd.Series(HASH_ORDER), index=False)
    assert hashes.is_monotonic_increasing
    history, opportunities = history_frame(), opportunities_frame()
    for max_rows, deals in EXPECTED_DEALS.items():
        inputs = read_win_probability_inputs(warehouse, max_rows=max_rows)
        assert all(frame["opportunity_id"].dtype == "uint64" for frame in (inputs.history, inputs.opportunities, inputs.closed, inputs.training))
        read = inputs.ids.decode(inputs.history)
        assert set(read["opportunity_id"]) == deals
        assert len(read) == int(history["opportunity_id"].isin(deals).sum()) == {10: 10, 28: 18}[max_rows]
        assert read[["opportunity_id", "valid_from"]].values.tolist() == (
            history[history["opportunity_id"].isin(deals)].sort_values(["opportunity_id", "valid_from"])[["opportunity_id", "valid_from"]].values.tolist()
        )
        assert inputs.as_of == AS_OF
        assert len(inputs.opportunities) == 9
        closed = inputs.ids.decode(inputs.closed).set_index("opportunity_id")
        assert closed["closed_at"].to_dict() == {
            "W2": T("2025-01-25"), "W3": T("2025-01-05"), "R1": T("2025-02-01"), "W1": T("2025-02-10 12:00"),
            "L1": T("2025-03-01"), "L2": T("2025-04-15 10:00"), "F1": T("2026-07-01"),
        }
        assert list(closed.index) == ["W3", "W2", "R1", "W1", "L1", "L2", "F1"]  # in time
        assert closed["is_won"].to_dict() == {"W2": True, "W3": True, "R1": False, "W1": True, "L1": False, "L2": False, "F1": True}
        scored = score_and_validate(inputs.history, inputs.opportunities, inputs.as_of, inputs.closed, max_rows=max_rows, training=inputs.training)[0]
        scores = inputs.ids.decode(scored)
        whole = score_and_validate(history, opportunities, AS_OF, closings(history, opportunities), max_rows=max_rows)[0]
        assert set(scores["opportunity_id"]) == OPEN_AT_SCORING
        assert scores.set_index("opportunity_id")[["stage_name", "crm_probability", "win_probability", "changes_so_far"]].sort_index().to_dict() == (
            whole.set_index("opportunity_id")[["stage_name", "crm_probability", "win_probability", "changes_so_far"]].sort_index().to_dict()
        )


def assert_frames_passed_with_a_query_are_its_tables(warehouse: Warehouse) -> None:
    """``read_frame(sql, relations=...)``: the query joins the frames by their names."""
    sql = (
        "select opportunity_id, count(*) as n from intermediate.int_opportunities__stage_history "
        "where opportunity_id in (select opportunity_id from wanted) group by opportunity_id order by opportunity_id"
    )
    wanted = pd.DataFrame({"opportunity_id": ["W1", "O2", "nobody"]})
    assert warehouse.read_frame(sql, relations={"wanted": wanted}).values.tolist() == [["O2", 2], ["W1", 3]]
    assert warehouse.read_frame(sql, relations={"wanted": pd.DataFrame({"opportunity_id": pd.Series([], dtype=str)})}).empty


def assert_shared_text_reads_the_same_frame(warehouse: Warehouse) -> None:
    """``read_frame(sql, shared_text=...)``: the same frame, each value of those columns one string object."""
    sql = "select opportunity_id, stage_name, valid_from from intermediate.int_opportunities__stage_history order by opportunity_id, change_number"
    plain, shared = warehouse.read_frame(sql), warehouse.read_frame(sql, shared_text=["stage_name"])
    pd.testing.assert_frame_equal(shared, plain)
    assert len(plain) > plain["stage_name"].nunique()  # some stage repeats
    assert len({id(value) for value in shared["stage_name"]}) == shared["stage_name"].nunique()


def assert_a_crm_without_closes_reads_its_open_deals(warehouse: Warehouse) -> None:
    """Nothing closed yet: no close, the scoring moment still from the latest change, the open deals' history."""
    from orchestration.win_probability_inputs import read_win_probability_inputs

    write_crm(warehouse, deals={"O1", "O2"})
    inputs = read_win_probability_inputs(warehouse, max_rows=10)
    assert inputs.closed.empty
    assert inputs.as_of == AS_OF
    assert inputs.ids.decode(inputs.history)[["opportunity_id", "stage_name"]].values.tolist() == [["O1", "Prospecting"], ["O2", "Prospecting"], ["O2", "Proposal"]]
    from orchestration.win_probability_inputs import read_scoring_inputs, read_scoring_summary

    summary = read_scoring_summary(warehouse)
    assert (summary.as_of, summary.opportunities, summary.closed_deals, len(summary.track_records)) == (AS_OF, 2, 0, 0)
    scoring = read_scoring_inputs(warehouse, summary)
    assert scoring.ids.decode(scoring.history).equals(inputs.ids.decode(inputs.history))
    from ml.win_probability import open_opportunity_scores

    scores = open_opportunity_scores(scoring.history, scoring.opportunities, scoring.closed, scoring.as_of, None)
    assert scores["rep_win_rate_before"].tolist() == [0.5, 0.5]  # no close yet: the prior rate


# The closes before the scoring moment per rep and account (W1, W2 | R1 | W3 | L1, L2; F1's is after it).
TRACK_RECORDS = [
    ("R-1", "A1", T("2025-02-10 12:00"), 2, 2),
    ("R-1", "A3", T("2025-02-01"), 1, 0),
    ("R-2", "A1", T("2025-01-05"), 1, 1),
    ("R-2", "A2", T("2025-04-15 10:00"), 2, 0),
]


def assert_scoring_reads_only_the_open_deals(warehouse: Warehouse) -> None:
    """read_scoring_summary and read_scoring_inputs on the hand-made CRM: the scoring moment, the counts
    and the track records by hand; the open deals and only their history; their features and scores
    the same as from every deal's close (read_win_probability_inputs)."""
    from ml.win_features import FEATURES
    from ml.win_probability import fit_and_validate, open_opportunity_scores
    from orchestration.win_probability_inputs import read_scoring_inputs, read_scoring_summary, read_win_probability_inputs

    summary = read_scoring_summary(warehouse)
    assert (summary.as_of, summary.opportunities, summary.closed_deals) == (AS_OF, 9, 7)
    track_records = summary.track_records.sort_values(["sales_rep_id", "account_id"])
    assert [tuple(row) for row in track_records.itertuples(index=False)] == TRACK_RECORDS

    inputs = read_scoring_inputs(warehouse, summary)
    assert inputs.ids.decode(inputs.opportunities)["opportunity_id"].tolist() == sorted(OPEN_AT_SCORING)
    history = history_frame()
    assert inputs.ids.decode(inputs.history)[["opportunity_id", "valid_from"]].values.tolist() == (
        history[history["opportunity_id"].isin(OPEN_AT_SCORING)].sort_values(["opportunity_id", "valid_from"])[["opportunity_id", "valid_from"]].values.tolist()
    )
    assert inputs.training.empty

    whole = read_win_probability_inputs(warehouse)
    fitted = fit_and_validate(whole.history, whole.opportunities, whole.as_of, whole.closed, training=whole.training)
    columns = ["opportunity_id", "as_of", *FEATURES, "has_recorded_state", "win_probability"]
    scored = inputs.ids.decode(open_opportunity_scores(inputs.history, inputs.opportunities, inputs.closed, inputs.as_of, fitted.model))
    expected = whole.ids.decode(open_opportunity_scores(whole.history, whole.opportunities, whole.closed, whole.as_of, fitted.model))
    pd.testing.assert_frame_equal(scored.sort_values("opportunity_id")[columns].reset_index(drop=True), expected.sort_values("opportunity_id")[columns].reset_index(drop=True))
    assert scored.set_index("opportunity_id").loc["F1", "rep_closed_before"] == 3  # R-1's W1, W2 and R1: not F1's own future close


def assert_scoring_with_nothing_open_gives_no_scores(warehouse: Warehouse) -> None:
    """Every deal closed (W1, L1 only): the scoring read holds no opportunity, and scoring it gives no
    scores and no pipeline, as the whole read does."""
    from orchestration.assets.sales_forecast import sales_forecast_tables
    from orchestration.win_probability_inputs import read_scoring_inputs, read_scoring_summary, read_win_probability_inputs

    write_crm(warehouse, deals={"W1", "L1"})
    summary = read_scoring_summary(warehouse)
    assert (summary.opportunities, summary.closed_deals) == (2, 2)
    inputs = read_scoring_inputs(warehouse, summary)
    assert inputs.opportunities.empty and inputs.history.empty
    fitted = sales_forecast_tables(read_win_probability_inputs(warehouse), "fit")
    scores, pipeline, _, _ = sales_forecast_tables(inputs, "score", fitted[3])
    assert scores.empty and pipeline.empty and fitted[0].empty


def assert_the_scoring_moment_is_the_start_of_the_day_after_the_latest_change(warehouse: Warehouse) -> None:
    """The fit's read (read_win_probability_inputs) and the scoring summary give the same moment: the start
    of the day after the latest change, in the history or in a current record."""
    from orchestration.win_probability_inputs import read_scoring_summary, read_win_probability_inputs

    def moments() -> tuple[pd.Timestamp, pd.Timestamp]:
        return read_win_probability_inputs(warehouse).as_of, read_scoring_summary(warehouse).as_of

    write_crm(warehouse)  # O2's record changed at 2025-04-20 08:00, after the latest history change (04-15 10:00)
    assert moments() == (AS_OF, AS_OF)
    history = history_frame([*HISTORY, ("O1", "Proposal", 60.0, 60, "2025-06-30", "2025-04-25 00:00")])
    write_tables(warehouse, history, opportunities_frame(history))  # a change at midnight: the day after it
    assert moments() == (T("2025-04-26"), T("2025-04-26"))
    write_tables(warehouse, history_frame([]), opportunities_frame())  # no history recorded: the records alone
    assert moments() == (AS_OF, AS_OF)
