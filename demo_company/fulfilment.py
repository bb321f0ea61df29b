"""What operations did with the orders: promised dates, capacity, shipments and stock.

Each family has a monthly production capacity near its average demand, so in peak months demand
exceeds it and lines ship late or in parts; a few lines are re-promised soon after ordering. Stock
per product and plant follows a reorder-point policy against the actual shipments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from demo_company.catalog import REGIONS
from demo_company.products import Product
from demo_company.timeline import day, month_start, uniform_days

REPROMISE_SHARE = 0.03
PARTIAL_SHARE = 0.1
CAPACITY_HEADROOM = 1.06
PLANNING_MONTHS = 6  # each monthly capacity export covers this many months


@dataclass
class Fulfilment:
    lines: pd.DataFrame  # sales lines plus requested/promised dates, re-promise day, final ship date
    deliveries: pd.DataFrame  # one row per shipment
    capacity: pd.DataFrame  # month, family, capacity_units (the plan before revisions)
    inventory: pd.DataFrame  # snapshot_date, product, plant, on_hand


def simulate_fulfilment(rng: np.random.Generator, lines: pd.DataFrame, products: list[Product], start: date, end: date) -> Fulfilment:
    lines = _promise(rng, lines, products)
    capacity = _capacity(lines)
    deliveries, lines = _ship(rng, lines, capacity)
    inventory = _inventory(rng, deliveries, products, start, end)
    return Fulfilment(lines, deliveries, capacity, inventory)


def _promise(rng: np.random.Generator, lines: pd.DataFrame, products: list[Product]) -> pd.DataFrame:
    lines = lines.copy()
    ordered = lines["order_date"].to_numpy().astype("datetime64[D]")
    lead = np.array([products[p].lead_time_days for p in lines["product"]]).astype("timedelta64[D]")
    n = len(lines)
    lines["requested_date"] = ordered + uniform_days(rng, 5, 30, n)
    promised = ordered + lead + uniform_days(rng, 0, 7, n)
    repromised = rng.random(n) < REPROMISE_SHARE
    lines["repromised_on"] = np.where(repromised, ordered + uniform_days(rng, 1, 3, n), np.datetime64("NaT"))
    lines["first_promised_date"] = promised
    lines["promised_date"] = np.where(repromised, promised + uniform_days(rng, 7, 21, n), promised)
    lines["plant"] = lines["region"].map({r.code: r.plant for r in REGIONS})
    return lines


def _capacity(lines: pd.DataFrame) -> pd.DataFrame:
    """Monthly capacity per family: a little above its demand averaged over a year around the month."""
    monthly = (
        lines.assign(month=month_start(lines["promised_date"].to_numpy().astype("datetime64[D]")))
        .groupby(["family", "month"])["quantity"].sum()
        .unstack(0, fill_value=0)
        .sort_index()
    )
    smoothed = monthly.rolling(12, center=True, min_periods=1).mean() * CAPACITY_HEADROOM
    return smoothed.round().astype(int).stack().rename("capacity_units").reset_index().rename(columns={"level_1": "family"})


def _ship(rng: np.random.Generator, lines: pd.DataFrame, capacity: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ship each line on time or late (more often late when its month is over capacity), some in two parts."""
    n = len(lines)
    promised = lines["promised_date"].to_numpy().astype("datetime64[D]")
    month = month_start(promised)
    load = lines.assign(month=month).groupby(["family", "month"])["quantity"].transform("sum").to_numpy()
    cap = lines.assign(month=month).merge(capacity, on=["family", "month"], how="left")["capacity_units"].to_numpy()
    utilisation = load / np.maximum(cap, 1)
    late = rng.random(n) < np.clip(0.03 + 0.9 * np.maximum(utilisation - 0.95, 0), 0, 0.65)
    earliest = np.maximum(
        lines["order_date"].to_numpy().astype("datetime64[D]"),
        np.where(pd.isna(lines["repromised_on"]), np.datetime64("1970-01-01"), lines["repromised_on"].to_numpy().astype("datetime64[D]")),
    ) + np.timedelta64(1, "D")
    first = np.where(late, promised + uniform_days(rng, 1, 28, n), np.maximum(promised - uniform_days(rng, 0, 6, n), earliest))
    quantity = lines["quantity"].to_numpy()
    partial = (rng.random(n) < PARTIAL_SHARE) & (quantity >= 2)
    first_quantity = np.where(partial, np.maximum(1, np.floor(quantity * rng.uniform(0.3, 0.8, n))).astype(int), quantity)
    second = first + uniform_days(rng, 4, 25, n)
    lines = lines.copy()
    lines["late"] = late
    lines["final_ship_date"] = np.where(partial, second, first)
    shipments = pd.concat(
        [
            pd.DataFrame({"row": np.arange(n), "ship_date": first, "shipped_quantity": first_quantity}),
            pd.DataFrame({"row": np.flatnonzero(partial), "ship_date": second[partial], "shipped_quantity": (quantity - first_quantity)[partial]}),
        ]
    )
    shipments = shipments.join(lines[["order_id", "line_number", "product", "plant"]].reset_index(drop=True), on="row")
    shipments = shipments.sort_values(["ship_date", "order_id", "line_number"], kind="stable").reset_index(drop=True)
    shipments["delivery_id"] = [f"80{i:08d}" for i in range(1, len(shipments) + 1)]
    return shipments.drop(columns=["row"]), lines


def _inventory(rng: np.random.Generator, deliveries: pd.DataFrame, products: list[Product], start: date, end: date) -> pd.DataFrame:
    """End-of-day stock per product and plant: reorder point and order quantity against real shipments."""
    days = np.arange(day(start), day(end) + 1)
    plants = [r.plant for r in REGIONS]
    shipped = np.zeros((len(days), len(products), len(plants)))
    in_range = deliveries[(deliveries["ship_date"] >= days[0]) & (deliveries["ship_date"] <= days[-1])]
    d_index = (in_range["ship_date"].to_numpy().astype("datetime64[D]") - days[0]).astype(int)
    p_index = in_range["plant"].map({p: i for i, p in enumerate(plants)}).to_numpy()
    np.add.at(shipped, (d_index, in_range["product"].to_numpy(), p_index), in_range["shipped_quantity"].to_numpy())
    daily = shipped.mean(axis=0) + 0.05
    lead = np.array([p.lead_time_days for p in products])[:, None]
    reorder_point = daily * (lead + 10)
    order_quantity = np.ceil(daily * 45)
    on_hand = np.ceil(daily * rng.uniform(30, 60, daily.shape))
    arrivals = np.zeros((len(days) + int(lead.max()) + 1, *daily.shape))
    on_order = np.zeros(daily.shape, dtype=bool)
    stock = np.empty_like(shipped)
    for t in range(len(days)):
        on_hand = np.maximum(on_hand + arrivals[t] - shipped[t], 0)
        on_order &= arrivals[t] == 0
        reorder = (on_hand < reorder_point) & ~on_order
        for product, plant in zip(*np.nonzero(reorder), strict=True):
            arrivals[t + lead[product, 0], product, plant] += order_quantity[product, plant]
        on_order |= reorder
        stock[t] = on_hand
    grid = pd.MultiIndex.from_product([days, range(len(products)), plants], names=["snapshot_date", "product", "plant"])
    return pd.DataFrame({"on_hand": stock.reshape(-1).astype(int)}, index=grid).reset_index()
