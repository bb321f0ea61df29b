"""Orders, order lines and the opportunities behind them.

Orders arrive every day per region with weekly, yearly and growth patterns; each line picks a
product family by a mix that shifts with the season (bikes in spring, accessories in winter) and
over time (e-bikes grow). About a third of the orders of CRM-tracked customers close a won
opportunity, whose sales cycle is traced back from the order; lost and still-open opportunities are
drawn around them. Everything is simulated a few months past the last export day, so the deals
that close then are the open pipeline on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from demo_company.catalog import FAMILIES, LOST, OPPORTUNITY_STAGES, REGIONS, WON
from demo_company.parties import Customer, Rep, salesforce_id
from demo_company.products import Product
from demo_company.timeline import day, years_since, yearly_cycle

FUTURE_DAYS = 150
LINES_PER_DAY_AT_SCALE_1 = 100_000 / 1096
EXTRA_LINES_MEAN = 1.4  # lines per order = 1 + Poisson(1.4), at most 6
WEEKDAY_FACTOR = np.array([1.15, 1.2, 1.2, 1.15, 1.1, 0.35, 0.1])  # Monday..Sunday
DEAL_SHARE = 0.35
BASE_WIN_RATE = 0.38


@dataclass
class Sales:
    orders: pd.DataFrame  # order_id, customer, region, order_date, discount, opportunity_id
    lines: pd.DataFrame  # order_id, line_number, product, family, quantity, unit_price, net_amount, order_date
    opportunities: pd.DataFrame  # one row per opportunity
    stage_events: pd.DataFrame  # one row per stage change


def simulate_sales(
    rng: np.random.Generator, scale: float, start: date, end: date, customers: list[Customer], reps: list[Rep], products: list[Product]
) -> Sales:
    orders = _orders(rng, scale, start, end, customers)
    lines = _lines(rng, orders, start, products)
    opportunities, orders = _opportunities(rng, orders, lines, customers, reps)
    events = _stage_events(rng, opportunities)
    return Sales(orders, lines, opportunities, events)


def _orders(rng: np.random.Generator, scale: float, start: date, end: date, customers: list[Customer]) -> pd.DataFrame:
    days = np.arange(day(start), day(end) + FUTURE_DAYS + 1)
    weekday = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    trend = 1 + 0.06 * years_since(days, day(start))
    orders_per_day = LINES_PER_DAY_AT_SCALE_1 * scale / (1 + EXTRA_LINES_MEAN)
    ordering = [c for c in customers if c.customer_id is not None]
    chosen_customers, chosen_days, chosen_regions = [], [], []
    for region in REGIONS:
        members = [c for c in ordering if c.region == region.code]
        if not members:
            continue
        active_from = np.array([day(c.active_from) for c in members])
        active_to = np.array([day(c.active_to) if c.active_to else days[-1] for c in members])
        size = np.array([c.size for c in members])
        index = np.array([c.index for c in members])
        rate = orders_per_day * region.share * yearly_cycle(days, region.seasonality * 0.6) * trend * WEEKDAY_FACTOR[weekday]
        counts = rng.poisson(rate)
        for d, n in zip(days[counts > 0], counts[counts > 0], strict=True):
            active = (active_from <= d) & (active_to >= d)
            if not active.any():
                continue
            weights = size * active
            chosen_customers.append(rng.choice(index, size=n, p=weights / weights.sum()))
            chosen_days.append(np.full(n, d))
            chosen_regions.append(np.full(n, region.code, dtype=object))  # one shared string, not one per order
    orders = pd.DataFrame(
        {
            "customer": np.concatenate(chosen_customers),
            "region": np.concatenate(chosen_regions),
            "order_date": np.concatenate(chosen_days),
        }
    ).sort_values(["order_date", "customer"], kind="stable")
    orders = orders.reset_index(drop=True)
    orders["order_id"] = [f"05{n:08d}" for n in range(1, len(orders) + 1)]
    orders["discount"] = np.round(rng.uniform(0, 0.15, len(orders)), 3)
    orders["order_date"] = orders["order_date"].astype("datetime64[s]")
    return orders


def _lines(rng: np.random.Generator, orders: pd.DataFrame, start: date, products: list[Product]) -> pd.DataFrame:
    per_order = 1 + np.minimum(rng.poisson(EXTRA_LINES_MEAN, len(orders)), 5)
    lines = orders.loc[orders.index.repeat(per_order), ["order_id", "customer", "order_date", "discount", "region"]].reset_index(drop=True)
    lines["line_number"] = (lines.groupby("order_id").cumcount() + 1) * 10
    days = lines["order_date"].to_numpy().astype("datetime64[D]")
    # family mix: share × growth × the family's own season, renormalised per line
    weights = np.column_stack(
        [f.share * (1 + f.growth) ** years_since(days, day(start)) * yearly_cycle(days, f.seasonality) for f in FAMILIES]
    )
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    family = (rng.random(len(lines))[:, None] > cumulative).sum(axis=1)
    by_family = [[i for i, p in enumerate(products) if p.family == f] for f in range(len(FAMILIES))]
    product = np.array([by_family[f][k % len(by_family[f])] for f, k in zip(family, rng.integers(0, 1000, len(lines)), strict=True)])
    low = np.array([FAMILIES[f].quantity_range[0] for f in family])
    high = np.array([FAMILIES[f].quantity_range[1] for f in family])
    quantity = low + np.floor((high - low + 1) * rng.random(len(lines)) ** 2).astype(int)
    list_price = np.empty(len(lines))
    for p_index in np.unique(product):
        mask = product == p_index
        list_price[mask] = products[p_index].price_on(days[mask])
    unit_price = np.round(list_price * (1 - lines["discount"].to_numpy()), 2)
    lines["product"] = product
    lines["family"] = family
    lines["quantity"] = quantity
    lines["unit_price"] = unit_price
    lines["net_amount"] = np.round(quantity * unit_price, 2)
    return lines.drop(columns=["discount"])


def _opportunities(
    rng: np.random.Generator, orders: pd.DataFrame, lines: pd.DataFrame, customers: list[Customer], reps: list[Rep]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Won deals behind a share of orders; lost deals drawn around them per rep."""
    account_of = {c.index: c.account_id for c in customers}
    rep_of = {c.index: c.rep_id for c in customers}
    skill = {r.user_id: r.skill for r in reps}
    totals = lines.groupby("order_id").agg(amount=("net_amount", "sum"), quantity=("quantity", "sum"), family=("family", "first"))
    tracked = orders["customer"].map(account_of).notna().to_numpy()
    won = orders[tracked & (rng.random(len(orders)) < DEAL_SHARE)].join(totals, on="order_id")
    won = pd.DataFrame(
        {
            "customer": won["customer"].to_numpy(),
            "owner_id": won["customer"].map(rep_of).to_numpy(),
            "close_date": won["order_date"].to_numpy(),
            "amount": won["amount"].round(2).to_numpy(),
            "quantity": won["quantity"].to_numpy(),
            "family": won["family"].to_numpy(),
            "won": True,
            "order_id": won["order_id"].to_numpy(),
        }
    )
    lost_frames = []
    accounts_by_rep: dict[str, list[int]] = {}
    for c in customers:
        if c.account_id is not None:
            accounts_by_rep.setdefault(c.rep_id, []).append(c.index)
    for owner, group in won.groupby("owner_id"):
        win_rate = float(np.clip(BASE_WIN_RATE * skill[owner], 0.15, 0.7))
        n = rng.binomial(len(group) * 4, (1 - win_rate) / win_rate / 4)
        if n == 0:
            continue
        pick = rng.integers(0, len(group), n)
        shift = np.round(rng.normal(0, 25, n)).astype(int).astype("timedelta64[D]")
        lost_frames.append(
            pd.DataFrame(
                {
                    "customer": rng.choice(accounts_by_rep[owner], n),
                    "owner_id": owner,
                    "close_date": group["close_date"].to_numpy()[pick].astype("datetime64[D]") + shift,
                    "amount": np.round(group["amount"].to_numpy()[pick] * rng.lognormal(0, 0.3, n), 2),
                    "quantity": group["quantity"].to_numpy()[pick],
                    "family": group["family"].to_numpy()[pick],
                    "won": False,
                    "order_id": None,
                }
            )
        )
    opportunities = pd.concat([won, *lost_frames], ignore_index=True)
    opportunities["close_date"] = opportunities["close_date"].astype("datetime64[s]")
    cycle = (10 + rng.gamma(2.0, 28.0, len(opportunities))).astype(int).astype("timedelta64[D]")
    opportunities["created_date"] = opportunities["close_date"] - cycle
    opportunities = opportunities.sort_values(["created_date", "close_date", "customer"], kind="stable").reset_index(drop=True)
    opportunities["opportunity_id"] = [salesforce_id("006", n) for n in range(1, len(opportunities) + 1)]
    opportunities["account_id"] = opportunities["customer"].map(account_of)
    opportunities["existing_business"] = rng.random(len(opportunities)) < 0.6
    opportunities["lead_source"] = rng.choice(["Web", "Partner Referral", "Trade Show", "Phone Inquiry", "Existing Customer"], len(opportunities))
    # stages reached before closing: all five for won deals, one to five for lost ones
    opportunities["stages"] = np.where(opportunities["won"], len(OPPORTUNITY_STAGES), rng.integers(1, len(OPPORTUNITY_STAGES) + 1, len(opportunities)))
    opportunities["first_estimate"] = np.round(opportunities["amount"] * rng.uniform(0.85, 1.2, len(opportunities)), 2)
    link = opportunities.loc[opportunities["won"], ["order_id", "opportunity_id"]]
    orders = orders.merge(link, on="order_id", how="left")
    return opportunities, orders


def _stage_events(rng: np.random.Generator, opportunities: pd.DataFrame) -> pd.DataFrame:
    """Every stage change: the open stages reached, then the close, each with its timestamp."""
    n_events = opportunities["stages"].to_numpy() + 1
    events = opportunities.loc[opportunities.index.repeat(n_events)].reset_index()
    step = events.groupby("index").cumcount().to_numpy()
    stages = events["stages"].to_numpy()
    is_close = step == stages
    created = events["created_date"].to_numpy().astype("datetime64[D]")
    close = events["close_date"].to_numpy().astype("datetime64[D]")
    span = (close - created).astype(int)
    # open stages at evenly spread, jittered points of the cycle; the close on the close date
    fraction = np.where(step == 0, 0.0, (step + rng.uniform(-0.3, 0.3, len(events))) / (stages + 1))
    when = created + np.floor(span * fraction).astype(int).astype("timedelta64[D]")
    when = np.where(is_close, close, when)
    seconds = rng.integers(8 * 3600, 18 * 3600, len(events)).astype("timedelta64[s]")
    events["changed_at"] = when.astype("datetime64[s]") + seconds + step.astype("timedelta64[s]")
    # object arrays: the rows share one string per stage instead of a string each
    names = np.array([s[0] for s in OPPORTUNITY_STAGES] + [WON[0], LOST[0]], dtype=object)
    probabilities = np.array([s[1] for s in OPPORTUNITY_STAGES] + [WON[1], LOST[1]])
    categories = np.array([s[2] for s in OPPORTUNITY_STAGES] + [WON[2], LOST[2]], dtype=object)
    stage_index = np.where(is_close, np.where(events["won"], len(OPPORTUNITY_STAGES), len(OPPORTUNITY_STAGES) + 1), step)
    events["stage_name"] = names[stage_index]
    events["probability"] = probabilities[stage_index]
    events["forecast_category"] = categories[stage_index]
    events["is_closed"] = is_close
    events["is_won"] = is_close & events["won"].to_numpy()
    # the amount is an estimate until the proposal, then the final amount
    events["stage_amount"] = np.where(step >= 3, events["amount"], events["first_estimate"])
    events = events.sort_values(["changed_at", "opportunity_id"], kind="stable").reset_index(drop=True)
    # the opportunity's own columns that no export of a stage change needs (millions of rows at scale 100)
    return events.drop(columns=["index", "amount", "first_estimate", "stages", "created_date", "order_id", "won"])
