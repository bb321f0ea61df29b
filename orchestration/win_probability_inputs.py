"""What the win-probability assets read from the warehouse: every opportunity, every deal's close, and
the stage history of only the deals the model uses.

Training takes the snapshots of at most ``MAX_SNAPSHOT_ROWS`` of the closed deals' month starts
(a sample chosen by a hash of the id, ``ml.win_probability.deal_sample``) and scoring the deals open
now, so the rest of the history (most of it at 10M order lines) is never read. The warehouse
computes what choosing them needs, in one pass over the history: each deal's first closed state and
the latest change; the choice itself is ``ml.win_probability.training_deals`` and
``deals_needing_history`` (the same functions the model uses, so the sample is the one
``score_and_validate`` takes from the whole history), made once and handed to the model.
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

OPPORTUNITIES_SQL = """
    select opportunity_id, account_id, sales_rep_id, product_family, quantity, created_at, stage_name,
           is_closed, is_won, cast(amount as double precision) as amount, cast(probability as double precision) as probability,
           close_date, last_modified_at
    from marts.fct_opportunities
    order by opportunity_id
"""
# Each deal's first closed state (ties in time: the first recorded), as ml.win_features.first_closed_states,
# and the latest change: one pass over the history, one row with the latest change only when nothing has closed yet.
CLOSES_SQL = f"""
    with history as materialized (
        select opportunity_id, valid_from, is_closed, is_won, change_number
        from {HISTORY_RELATION}
    ),
    latest as (
        select max(valid_from) as latest_change from history
    ),
    closed_states as (
        select opportunity_id, valid_from, is_won,
               row_number() over (partition by opportunity_id order by valid_from, change_number) as close_number
        from history
        where is_closed
    ),
    first_closes as (
        select opportunity_id, valid_from as closed_at, is_won from closed_states where close_number = 1
    )
    select first_closes.opportunity_id, first_closes.closed_at, first_closes.is_won, latest.latest_change
    from latest
    left join first_closes on true
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
    as of the scoring moment ``as_of`` (:func:`scoring_moment`): what deciding what else to read
    needs. The frames' ``opportunity_id`` are coded as integers (``ml.deal_ids``); ``ids.decode``
    gives a frame the CRM's ids back."""

    opportunities: pd.DataFrame
    closed: pd.DataFrame
    as_of: pd.Timestamp
    ids: DealIds


@dataclass(frozen=True)
class WinProbabilityInputs(Deals):
    """The frames ``ml.win_probability.score_and_validate`` needs: the :class:`Deals`, ``history`` (the
    stage history, ml/win_features.py's columns, of the deals the model uses only) and ``training``
    (the closed deals the model trains on: ``training_deals``' rows of ``opportunities``; none when
    scoring with a stored fit)."""

    history: pd.DataFrame
    training: pd.DataFrame


def scoring_moment(latest_history_change: pd.Timestamp | None, opportunities: pd.DataFrame) -> pd.Timestamp:
    """The start of the day after the latest CRM change: the moment the warehouse knows the pipeline at."""
    changes = pd.concat([pd.Series([latest_history_change], dtype="datetime64[us]"), pd.to_datetime(opportunities["last_modified_at"])])
    return changes.max().normalize() + pd.Timedelta(days=1)


def read_deals(warehouse: Warehouse) -> Deals:
    """Every opportunity and close, the ids coded as integers from the first read on."""
    closes = warehouse.read_frame(CLOSES_SQL)  # first: the window over the history runs beside no large frame
    opportunities = warehouse.read_frame(OPPORTUNITIES_SQL, shared_text=SHARED_TEXT)
    as_of = scoring_moment(closes["latest_change"].iloc[0], opportunities)
    ids = DealIds.of(opportunities["opportunity_id"])
    opportunities = ids.code(opportunities)
    closed = closings_of(ids.code(closes.dropna(subset=["opportunity_id"])), opportunities)
    return Deals(opportunities=opportunities, closed=closed, as_of=as_of, ids=ids)


def read_inputs(warehouse: Warehouse, deals: Deals, max_rows: int = MAX_SNAPSHOT_ROWS, train: bool = True) -> WinProbabilityInputs:
    """``deals`` and the history of :func:`ml.win_probability.deals_needing_history`: the training sample's
    and the open deals' when ``train``, else the open deals' only (for scoring with a stored fit;
    ``training`` is then empty)."""
    opportunities, closed = deals.opportunities, deals.closed
    training = training_deals(opportunities, closed, max_rows) if train else opportunities.iloc[:0]
    needed = deals.ids.decode(pd.DataFrame({"opportunity_id": deals_needing_history(opportunities, closed, deals.as_of, training)}))
    history = deals.ids.code(warehouse.read_frame(HISTORY_SQL, relations={DEALS_RELATION: needed}, shared_text=["stage_name"]))
    return WinProbabilityInputs(opportunities=opportunities, closed=closed, as_of=deals.as_of, ids=deals.ids, history=history, training=training)


def read_win_probability_inputs(warehouse: Warehouse, max_rows: int = MAX_SNAPSHOT_ROWS) -> WinProbabilityInputs:
    """Every opportunity and close, then the history of :func:`ml.win_probability.deals_needing_history` only,
    the ids coded as integers from the first read on."""
    return read_inputs(warehouse, read_deals(warehouse), max_rows)
