"""What the win-probability assets read from the warehouse: every opportunity, every deal's close, and
the stage history of only the deals the model uses.

Training takes the snapshots of at most ``MAX_SNAPSHOT_ROWS`` of the closed deals' month starts
(a sample chosen by a hash of the id, ``ml.win_probability.deal_sample``) and scoring the deals open
now, so the rest of the history (most of it at 10M order lines) is never read. The warehouse
computes what choosing them needs, in one pass over the history: each deal's first closed state and
the latest change; the choice itself is ``ml.win_probability.training_deals`` and
``deals_needing_history`` (the same functions the model uses, so the sample is the one
``score_and_validate`` takes from the whole history), made once and handed to the model.

Scoring with a stored fit reads less (:func:`read_scoring_summary`, :func:`read_scoring_inputs`):
the closes summed per rep and account, the deals open at the scoring moment and their history.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ml.deal_ids import DealIds
from ml.win_features import closings_of
from ml.win_probability import MAX_SNAPSHOT_ROWS, deals_needing_history, training_deals
from orchestration.warehouse import Warehouse

HISTORY_RELATION = "intermediate.int_opportunities__stage_history"
DEALS_RELATION = "deals_to_read"  # the ids of the deals whose history is read, passed to the query
# Text columns of few values: at 10M order lines the opportunities' text was 1.47 GB as one string per row.
SHARED_TEXT = ["account_id", "sales_rep_id", "product_family", "stage_name"]

OPPORTUNITIES_RELATION = "marts.fct_opportunities"
OPPORTUNITY_COLUMNS = [
    "opportunity_id", "account_id", "sales_rep_id", "product_family", "quantity", "created_at", "stage_name", "is_closed", "is_won",
    "cast(amount as double precision) as amount", "cast(probability as double precision) as probability", "close_date", "last_modified_at",
]
OPPORTUNITIES_SQL = f"""
    select {", ".join(OPPORTUNITY_COLUMNS)}
    from {OPPORTUNITIES_RELATION}
    order by opportunity_id
"""


def _first_closes(history: str) -> str:
    """CTEs ``closed_states`` and ``first_closes`` (opportunity_id, closed_at, is_won) over the relation ``history``."""
    return f"""
    closed_states as (
        select opportunity_id, valid_from, is_won,
               row_number() over (partition by opportunity_id order by valid_from, change_number) as close_number
        from {history}
        where is_closed
    ),
    first_closes as (
        select opportunity_id, valid_from as closed_at, is_won from closed_states where close_number = 1
    )"""


def _scoring_moment(history: str) -> str:
    """CTE ``moment`` (as_of): the start of the day after the latest CRM change, in the relation ``history``
    or in a current record: the moment the warehouse knows the pipeline at. The one definition of it."""
    return f"""
    moment as (
        select date_trunc('day', greatest((select max(valid_from) from {history}), (select max(last_modified_at) from {OPPORTUNITIES_RELATION})))
               + interval '1 day' as as_of
    )"""


# Each deal's first closed state (ties in time: the first recorded), as ml.win_features.first_closed_states,
# and the scoring moment: one pass over the history, one row with the moment only when nothing has closed yet.
CLOSES_SQL = f"""
    with history as materialized (
        select opportunity_id, valid_from, is_closed, is_won, change_number
        from {HISTORY_RELATION}
    ),{_scoring_moment("history")},{_first_closes("history")}
    select first_closes.opportunity_id, first_closes.closed_at, first_closes.is_won, moment.as_of
    from moment
    left join first_closes on true
"""
# The close of a deal closed only in its current record (ml.win_features.closings_of): the end of its close date.
RECORD_CLOSE = "cast(o.close_date as timestamp) + interval '1 day'"
# For scoring with a stored fit (read_scoring_inputs): the scoring moment, the number of opportunities and
# the closes summed per rep and account, apart those before the moment (the track records at it: the
# ml.win_features summary) and after it (a close in a current record's future).
# Each deal closes as in closings_of: its first closed state, else, closed in its record, the end of its close date.
SCORING_SUMMARY_SQL = f"""
    with{_scoring_moment(HISTORY_RELATION)},{_first_closes(HISTORY_RELATION)},
    closes as (
        select o.sales_rep_id, o.account_id, f.closed_at, f.is_won
        from first_closes f left join {OPPORTUNITIES_RELATION} o on o.opportunity_id = f.opportunity_id
        union all
        select o.sales_rep_id, o.account_id, {RECORD_CLOSE}, o.is_won
        from {OPPORTUNITIES_RELATION} o
        where o.is_closed and not exists (select 1 from first_closes f where f.opportunity_id = o.opportunity_id)
    ),
    dated_closes as (
        select closes.*, closes.closed_at < moment.as_of as before_scoring from closes cross join moment
    ),
    track_records as (
        select sales_rep_id, account_id, before_scoring, max(closed_at) as closed_at, count(*) as closes,
               count(*) filter (where is_won) as wins
        from dated_closes
        group by sales_rep_id, account_id, before_scoring
    )
    select moment.as_of, (select count(*) from {OPPORTUNITIES_RELATION}) as opportunities, track_records.sales_rep_id, track_records.account_id,
           track_records.before_scoring, track_records.closed_at, track_records.closes, track_records.wins
    from moment left join track_records on true
"""
MOMENT_RELATION = "scoring_moment"  # a one-row frame (as_of) passed to the query
# The opportunities open at the scoring moment (ml.win_features.open_at's): created before it, not closed by it.
OPEN_OPPORTUNITIES_SQL = f"""
    with first_closes as (
        select opportunity_id, min(valid_from) as closed_at from {HISTORY_RELATION} where is_closed group by opportunity_id
    )
    select {", ".join(OPPORTUNITY_COLUMNS)}
    from {OPPORTUNITIES_RELATION} o left join first_closes using (opportunity_id)
    where created_at < (select as_of from {MOMENT_RELATION})
      and not coalesce(
          coalesce(closed_at, case when o.is_closed then {RECORD_CLOSE} end) <= (select as_of from {MOMENT_RELATION}),
          false
      )
    order by opportunity_id
"""
HISTORY_SQL = f"""
    select opportunity_id, stage_name, is_closed, is_won, cast(amount as double precision) as amount,
           cast(probability as double precision) as probability, close_date, valid_from
    from {HISTORY_RELATION}
    where opportunity_id in (select opportunity_id from {DEALS_RELATION})
    order by opportunity_id, valid_from, change_number
"""


@dataclass(frozen=True)
class Deals:
    """Every opportunity (``opportunities``) and every closed deal's close (``closed``, as ``closings``)
    as of the scoring moment ``as_of`` (the start of the day after the latest CRM change): what
    deciding what else to read needs. The frames' ``opportunity_id`` are coded as integers
    (``ml.deal_ids``); ``ids.decode`` gives a frame the CRM's ids back."""

    opportunities: pd.DataFrame
    closed: pd.DataFrame
    as_of: pd.Timestamp
    ids: DealIds


@dataclass(frozen=True)
class WinProbabilityInputs(Deals):
    """The frames ``ml.win_probability.score_and_validate`` needs: the :class:`Deals`, ``history`` (the
    stage history, ml/win_features.py's columns, of the deals the model uses only) and ``training``
    (the closed deals the model trains on: ``training_deals``' rows of ``opportunities``). Read for
    scoring with a stored fit (:func:`read_scoring_inputs`): ``opportunities`` only the open ones,
    ``closed`` the closes' summary at ``as_of`` (``ml.win_features.is_summary``), no ``training``."""

    history: pd.DataFrame
    training: pd.DataFrame


def read_deals(warehouse: Warehouse) -> Deals:
    """Every opportunity and close, the ids coded as integers from the first read on."""
    closes = warehouse.read_frame(CLOSES_SQL)  # first: the window over the history runs beside no large frame
    opportunities = warehouse.read_frame(OPPORTUNITIES_SQL, shared_text=SHARED_TEXT)
    as_of = pd.Timestamp(closes["as_of"].iloc[0])
    ids = DealIds.of(opportunities["opportunity_id"])
    opportunities = ids.code(opportunities)
    closed = closings_of(ids.code(closes.dropna(subset=["opportunity_id"])), opportunities)
    return Deals(opportunities=opportunities, closed=closed, as_of=as_of, ids=ids)


def read_inputs(warehouse: Warehouse, deals: Deals, max_rows: int = MAX_SNAPSHOT_ROWS) -> WinProbabilityInputs:
    """``deals`` and the history of :func:`ml.win_probability.deals_needing_history`: the training sample's
    and the open deals'."""
    opportunities, closed = deals.opportunities, deals.closed
    training = training_deals(opportunities, closed, max_rows)
    needed = pd.Index(deals_needing_history(opportunities, closed, deals.as_of, training))
    return WinProbabilityInputs(
        opportunities=opportunities, closed=closed, as_of=deals.as_of, ids=deals.ids, history=_read_history(warehouse, deals.ids, needed), training=training
    )


def _read_history(warehouse: Warehouse, ids: DealIds, deals: pd.Index) -> pd.DataFrame:
    """The stage history of ``deals`` (coded ids), coded."""
    wanted = ids.decode(pd.DataFrame({"opportunity_id": deals}))
    return ids.code(warehouse.read_frame(HISTORY_SQL, relations={DEALS_RELATION: wanted}, shared_text=["stage_name"]))


@dataclass(frozen=True)
class ScoringSummary:
    """What deciding whether a stored fit may score needs, without reading every deal: the scoring moment
    (the start of the day after the latest CRM change), the numbers of opportunities and of closed
    deals, and the closes before the moment summed per rep and account (``track_records``:
    ``ml.win_features``' summary, :func:`is_summary`)."""

    as_of: pd.Timestamp
    opportunities: int
    closed_deals: int
    track_records: pd.DataFrame


def read_scoring_summary(warehouse: Warehouse) -> ScoringSummary:
    """One query: the scoring moment, the counts and the track records (SCORING_SUMMARY_SQL)."""
    rows = warehouse.read_frame(SCORING_SUMMARY_SQL)
    closes = rows.dropna(subset=["closes"])
    before = closes[closes["before_scoring"].fillna(False).astype(bool)]  # unknown for a close without a date
    return ScoringSummary(
        as_of=pd.Timestamp(rows["as_of"].iloc[0]), opportunities=int(rows["opportunities"].iloc[0]), closed_deals=int(closes["closes"].sum()),
        track_records=before[["sales_rep_id", "account_id", "closed_at", "closes", "wins"]].reset_index(drop=True),
    )


def read_scoring_inputs(warehouse: Warehouse, summary: ScoringSummary) -> WinProbabilityInputs:
    """What scoring with a stored fit needs: the opportunities open at the scoring moment and their
    history, and the summary's track records as ``closed``; no training deals. The open deals' features
    are the ones :func:`read_win_probability_inputs`' frames give them."""
    moment = pd.DataFrame({"as_of": [summary.as_of]})
    opportunities = warehouse.read_frame(OPEN_OPPORTUNITIES_SQL, relations={MOMENT_RELATION: moment}, shared_text=SHARED_TEXT)
    ids = DealIds.of(opportunities["opportunity_id"])
    opportunities = ids.code(opportunities)
    history = _read_history(warehouse, ids, pd.Index(opportunities["opportunity_id"]))
    return WinProbabilityInputs(
        opportunities=opportunities, closed=summary.track_records, as_of=summary.as_of, ids=ids, history=history, training=opportunities.iloc[:0]
    )


def read_win_probability_inputs(warehouse: Warehouse, max_rows: int = MAX_SNAPSHOT_ROWS) -> WinProbabilityInputs:
    """Every opportunity and close, then the history of :func:`ml.win_probability.deals_needing_history` only,
    the ids coded as integers from the first read on."""
    return read_inputs(warehouse, read_deals(warehouse), max_rows)
