"""Opportunity features as of a moment, from the CRM stage history, without looking ahead.

Inputs are two frames the warehouse holds:

- ``history`` (``int_opportunities__stage_history``): one row per recorded state, ``opportunity_id``,
  ``stage_name``, ``is_closed``, ``is_won``, ``amount``, ``probability`` (percent), ``close_date``
  (expected, as recorded then) and ``valid_from`` (when the state began);
- ``opportunities`` (``fct_opportunities``): one row per opportunity, ``opportunity_id``,
  ``account_id``, ``sales_rep_id``, ``product_family``, ``quantity``, ``created_at`` and the current
  ``stage_name``, ``is_closed``, ``is_won``, ``amount``, ``probability``, ``close_date``.

The closes (``closed``, :func:`closings`) give the outcomes and the track records. For features at
one moment only (scoring), a summary of them does too (:func:`is_summary`): rows that each stand
for ``closes`` closes (``wins`` of them won) of one rep and account, all before the moment; the
track records are the same, the outcomes unknown.

An opportunity is open at a moment ``as_of`` when it was created before it and had not closed by
it. Everything :func:`features_as_of` returns for that moment comes from history rows recorded at
or before ``as_of`` and from deals closed strictly before it; attributes that do not change (rep,
account, product family, quantity, creation time) come from the current record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Smoothing of past win rates: a rep or account with few closed deals is pulled towards the
# company's rate as of the same moment, as if it had this many more deals at that rate.
PRIOR_DEALS = 10.0

NUMERIC_FEATURES = [
    "crm_probability", "amount", "amount_vs_first", "quantity", "age_days", "days_since_change",
    "days_to_close", "elapsed_share", "changes_so_far", "rep_closed_before", "rep_win_rate_before",
    "account_closed_before", "account_win_rate_before",
]
CATEGORICAL_FEATURES = ["stage_name", "product_family"]
TRACK_RECORD_KEYS = ["sales_rep_id", "account_id"]  # whose past closes make the track-record features
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES

_DAY = pd.Timedelta(days=1)


def closings(history: pd.DataFrame, opportunities: pd.DataFrame) -> pd.DataFrame:
    """When each closed opportunity closed and whether it was won (``opportunity_id``, ``closed_at``,
    ``is_won``), with its rep and account (``TRACK_RECORD_KEYS``, for the track records).

    The close is the first closed state in the history; an opportunity closed in its current record
    without a closed state in the history counts as closed at the end of its close date.
    """
    return closings_of(first_closed_states(history), opportunities)


def first_closed_states(history: pd.DataFrame) -> pd.DataFrame:
    """Each opportunity's first closed state in the history (``opportunity_id``, ``closed_at``, ``is_won``);
    the warehouse computes the same in SQL (``orchestration/win_probability_inputs.py``)."""
    closed_states = history[history["is_closed"].astype(bool)].sort_values(["valid_from", "opportunity_id"], kind="stable")
    recorded = closed_states.drop_duplicates("opportunity_id")[["opportunity_id", "valid_from", "is_won"]]
    return recorded.rename(columns={"valid_from": "closed_at"})


def closings_of(recorded: pd.DataFrame, opportunities: pd.DataFrame) -> pd.DataFrame:
    """:func:`closings` from the first closed states (:func:`first_closed_states`) and the current records."""
    current = opportunities[opportunities["is_closed"].astype(bool) & ~opportunities["opportunity_id"].isin(recorded["opportunity_id"])]
    from_record = current[["opportunity_id", *TRACK_RECORD_KEYS]].assign(
        closed_at=pd.to_datetime(current["close_date"]) + _DAY, is_won=current["is_won"]
    )
    # Each deal's rep and account joined once here: at 10M order lines (4M deals) a join on the ids
    # costs seconds, and every features_as_of call needs them twice.
    keys = opportunities.set_index("opportunity_id")[TRACK_RECORD_KEYS]
    from_history = recorded[["opportunity_id", "closed_at", "is_won"]].join(keys, on="opportunity_id")
    result = pd.concat([from_history, from_record], ignore_index=True)[["opportunity_id", "closed_at", "is_won", *TRACK_RECORD_KEYS]]
    result["is_won"] = result["is_won"].astype(bool)
    result["closed_at"] = pd.to_datetime(result["closed_at"])
    return result.sort_values(["closed_at", "opportunity_id"], kind="stable").reset_index(drop=True)


def open_at(opportunities: pd.DataFrame, closed: pd.DataFrame, moments: list[pd.Timestamp]) -> pd.DataFrame:
    """Every opportunity open at each moment: created before it and not closed by it (``opportunity_id``, ``as_of``)."""
    closed_at = _closed_at(opportunities, closed)
    created = pd.to_datetime(opportunities["created_at"])
    frames = []
    for moment in moments:
        is_open = (created < moment) & ~(closed_at <= moment)
        frames.append(pd.DataFrame({"opportunity_id": opportunities.loc[is_open, "opportunity_id"], "as_of": moment}))
    if not frames:
        return pd.DataFrame({"opportunity_id": pd.Series(dtype=object), "as_of": pd.Series(dtype="datetime64[ns]")})
    return pd.concat(frames, ignore_index=True)


def is_summary(closed: pd.DataFrame) -> bool:
    """Whether ``closed`` summarises closes (``closes``, ``wins`` per rep and account) instead of
    listing each deal's: it then names no deal, and every opportunity counts as not closed."""
    return "closes" in closed.columns


def track_record_summary(closed: pd.DataFrame, moment: pd.Timestamp) -> pd.DataFrame:
    """The summary (:func:`is_summary`) of the closes strictly before ``moment``: per rep and account
    (missing ones too), the latest ``closed_at``, ``closes`` and ``wins``. A summary stays as it is."""
    if is_summary(closed):
        return closed
    before = closed[closed["closed_at"] < moment]
    groups = before.groupby(TRACK_RECORD_KEYS, dropna=False, sort=False)
    summary = pd.DataFrame({"closed_at": groups["closed_at"].max(), "closes": groups.size(), "wins": groups["is_won"].sum()})
    return summary.reset_index()


def _deal_closes(closed: pd.DataFrame) -> pd.DataFrame:
    """``closed_at`` and ``is_won`` by ``opportunity_id`` (none for a summary)."""
    if is_summary(closed):
        return pd.DataFrame({"closed_at": pd.Series(dtype="datetime64[ns]"), "is_won": pd.Series(dtype=bool)}, index=pd.Index([], name="opportunity_id"))
    return closed.set_index("opportunity_id")[["closed_at", "is_won"]]


def _closed_at(opportunities: pd.DataFrame, closed: pd.DataFrame) -> pd.Series:
    """Each opportunity's close (NaT while open), aligned with ``opportunities`` (a lookup that also
    works when nothing has closed: pandas 3 cannot map ids through an empty series of times)."""
    closes = pd.to_datetime(_deal_closes(closed)["closed_at"]).reindex(opportunities["opportunity_id"])
    return pd.Series(closes.to_numpy(), index=opportunities.index)


def month_starts(first: pd.Timestamp, last: pd.Timestamp) -> list[pd.Timestamp]:
    """The first days (00:00) of the months after ``first`` up to ``last`` included."""
    start = (pd.Timestamp(first).to_period("M") + 1).to_timestamp()
    return list(pd.date_range(start, pd.Timestamp(last), freq="MS"))


def open_moment_counts(opportunities: pd.DataFrame, closed: pd.DataFrame, moments: list[pd.Timestamp]) -> pd.Series:
    """How many of ``moments`` each opportunity is open at: its rows in :func:`open_at`, without building
    them (``opportunity_id`` → count, in the order of ``opportunities``)."""
    stamps = np.sort(np.array(moments, dtype="datetime64[ns]"))
    created = pd.to_datetime(opportunities["created_at"]).to_numpy(dtype="datetime64[ns]")
    closed_at = _closed_at(opportunities, closed).to_numpy(dtype="datetime64[ns]")
    after_creation = np.searchsorted(stamps, created, side="right")  # moments at or before creation: not yet open
    before_close = np.searchsorted(stamps, closed_at, side="left")  # moments before the close (all of them when open)
    before_close[np.isnat(closed_at)] = len(stamps)
    counts = np.where(np.isnat(created), 0, np.clip(before_close - after_creation, 0, None))
    return pd.Series(counts, index=pd.Index(opportunities["opportunity_id"]), name="rows")


def features_as_of(
    history: pd.DataFrame, opportunities: pd.DataFrame, snapshots: pd.DataFrame, closed: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The features of each (``opportunity_id``, ``as_of``) row of ``snapshots``, as known at ``as_of``.

    Returns the snapshot rows with FEATURES, ``crm_probability`` in [0, 1], ``has_recorded_state``
    (False when no history row was recorded by ``as_of``: the current record then stands in, which
    is right only for scoring today), and ``closed_at`` / ``is_won`` (1.0 won, 0.0 lost) of the
    eventual outcome (NaT / NaN while still open), in the order of ``snapshots``.
    """
    closed = closings(history, opportunities) if closed is None else closed
    rows = snapshots[["opportunity_id", "as_of"]].reset_index(drop=True).assign(_row=lambda f: np.arange(len(f)))
    rows["as_of"] = pd.to_datetime(rows["as_of"]).astype("datetime64[ns]")
    static = opportunities.set_index("opportunity_id")
    rows = rows.join(static[["account_id", "sales_rep_id", "product_family", "quantity", "created_at"]], on="opportunity_id")
    rows = _with_state(rows, history, static)
    if not set(TRACK_RECORD_KEYS) <= set(closed.columns):  # a closings frame made elsewhere, without them
        closed = closed.drop(columns=TRACK_RECORD_KEYS, errors="ignore").join(static[TRACK_RECORD_KEYS], on="opportunity_id")
    rows = _with_track_record(rows, closed, "sales_rep_id", "rep")
    rows = _with_track_record(rows, closed, "account_id", "account")
    rows["age_days"] = (rows["as_of"] - pd.to_datetime(rows["created_at"])) / _DAY
    rows["days_to_close"] = (pd.to_datetime(rows["close_date"]) - rows["as_of"].dt.normalize()) / _DAY
    # how far through its planned cycle the deal is: age / (age + days left to the expected close)
    planned = rows["age_days"] + rows["days_to_close"].clip(lower=0)
    rows["elapsed_share"] = (rows["age_days"] / planned.where(planned > 0)).clip(upper=1.0)
    outcome = _deal_closes(closed).reindex(rows["opportunity_id"])
    rows["closed_at"] = pd.to_datetime(outcome["closed_at"]).to_numpy()
    rows["is_won"] = outcome["is_won"].astype(float).to_numpy()  # 1.0 / 0.0, NaN while open
    rows = rows.sort_values("_row").reset_index(drop=True)
    keep = ["opportunity_id", "as_of", "account_id", "sales_rep_id", *FEATURES, "close_date", "has_recorded_state", "closed_at", "is_won"]
    return rows[list(dict.fromkeys(keep))]


def _with_state(rows: pd.DataFrame, history: pd.DataFrame, static: pd.DataFrame) -> pd.DataFrame:
    """The recorded state valid at ``as_of`` (the last history row with valid_from <= as_of)."""
    columns = ["opportunity_id", "valid_from", "stage_name", "amount", "probability", "close_date"]
    states = history.loc[history["opportunity_id"].isin(rows["opportunity_id"].unique()), columns]  # only the deals asked about
    states["valid_from"] = pd.to_datetime(states["valid_from"]).astype("datetime64[ns]")
    states = states.sort_values(["opportunity_id", "valid_from"], kind="stable")
    states["changes_so_far"] = states.groupby("opportunity_id").cumcount() + 1
    states["first_amount"] = states.groupby("opportunity_id")["amount"].transform("first")
    merged = pd.merge_asof(
        rows.sort_values("as_of"), states.sort_values("valid_from"),
        left_on="as_of", right_on="valid_from", by="opportunity_id", direction="backward",
    )
    merged["has_recorded_state"] = merged["valid_from"].notna()
    recorded = merged["has_recorded_state"]
    # the current record where nothing was recorded yet (a lookup that also works with no opportunities:
    # pandas 3 cannot map ids through an empty series of times)
    state_columns = ["stage_name", "amount", "probability", "close_date"]
    current = static[state_columns].reindex(merged["opportunity_id"])
    for column in state_columns:
        merged[column] = merged[column].where(recorded, current[column].to_numpy())
    merged["changes_so_far"] = merged["changes_so_far"].where(recorded, 0)
    merged["first_amount"] = merged["first_amount"].where(recorded, merged["amount"])
    merged["amount"] = merged["amount"].astype(float)
    merged["crm_probability"] = merged["probability"].astype(float) / 100.0
    merged["amount_vs_first"] = merged["amount"] / merged["first_amount"].astype(float).replace(0, np.nan)
    merged["days_since_change"] = (merged["as_of"] - merged["valid_from"]) / _DAY
    merged["changes_so_far"] = merged["changes_so_far"].astype(float)
    return merged.drop(columns=["valid_from", "probability", "first_amount"])


def _with_track_record(rows: pd.DataFrame, closed: pd.DataFrame, key: str, prefix: str) -> pd.DataFrame:
    """``<prefix>_closed_before`` and a smoothed ``<prefix>_win_rate_before``: deals of the same
    ``key`` (rep, account: a column of ``closed``) closed strictly before ``as_of``, pulled towards
    the company's rate then. A row of a summary (:func:`is_summary`) counts as its ``closes``."""
    summary = is_summary(closed)
    deals = pd.DataFrame(
        {
            "closed_at": closed["closed_at"].astype("datetime64[ns]"), key: closed[key],
            "closes": closed["closes"].astype(float) if summary else 1.0,
            "wins": (closed["wins"] if summary else closed["is_won"]).astype(float),
        }
    ).sort_values("closed_at", kind="stable")
    deals["company_closed"] = deals["closes"].cumsum()
    deals["company_won"] = deals["wins"].cumsum()
    by_key = deals.groupby(key)
    deals["group_closed"] = by_key["closes"].cumsum()
    deals["group_won"] = by_key["wins"].cumsum()
    ordered = rows.sort_values("as_of")
    company = pd.merge_asof(
        ordered[["_row", "as_of"]], deals[["closed_at", "company_closed", "company_won"]],
        left_on="as_of", right_on="closed_at", direction="backward", allow_exact_matches=False,
    ).set_index("_row")
    left = ordered[["_row", "as_of", key]].dropna(subset=[key])
    right = deals[["closed_at", key, "group_closed", "group_won"]].dropna(subset=[key])
    if left[key].dtype != right[key].dtype:  # an empty read's text is of object dtype, a read with rows pandas' strings
        left, right = left.astype({key: object}), right.astype({key: object})
    group = pd.merge_asof(
        left, right, left_on="as_of", right_on="closed_at", by=key, direction="backward", allow_exact_matches=False,
    ).set_index("_row")
    company_rate = (company["company_won"] / company["company_closed"]).reindex(rows["_row"]).fillna(0.5).to_numpy()
    n = group["group_closed"].reindex(rows["_row"]).fillna(0.0).to_numpy()
    won = group["group_won"].reindex(rows["_row"]).fillna(0.0).to_numpy()
    rows[f"{prefix}_closed_before"] = n
    rows[f"{prefix}_win_rate_before"] = (won + PRIOR_DEALS * company_rate) / (n + PRIOR_DEALS)
    return rows
