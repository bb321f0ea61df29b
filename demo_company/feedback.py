"""What customers said: NPS surveys after delivery, CSAT after support, product reviews, tickets.

Late deliveries make everything worse: lower NPS, more "where is my order" tickets, lower ratings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_company.timeline import uniform_days

NPS_SURVEY_SHARE = 0.3
LATE_TICKET_SHARE = 0.3
RANDOM_TICKET_SHARE = 0.03
CSAT_SHARE = 0.5
REVIEW_SHARE = 0.04

COMMENTS = {
    "promoter": ("Great bikes and fast delivery.", "Reliable partner, our customers love the range.", "Smooth ordering as always."),
    "passive": ("Good products, delivery could be quicker.", "OK overall.", "Pricing is getting tight for us."),
    "detractor": ("Order arrived weeks late, we lost sales.", "Partial shipments again. Please fix.", "Support took too long to answer."),
}
TICKET_KINDS = {
    "late": ("Where is my order?", "incident", "Order {order} has not arrived; it was promised for {promised}."),
    "damaged": ("Damaged item received", "problem", "One item of order {order} arrived damaged."),
    "invoice": ("Invoice question", "question", "Please send a corrected invoice for order {order}."),
}
REVIEW_TEXT = {
    5: ("Love it", "Excellent build quality, rides beautifully."),
    4: ("Very good", "Solid product, minor issues with the finish."),
    3: ("Average", "Does the job but nothing special."),
    2: ("Disappointing", "Expected better for the price."),
    1: ("Bad experience", "Broke within a month and took ages to arrive."),
}


@dataclass
class Feedback:
    surveys: pd.DataFrame  # response_id, survey_type, customer, order_id, score, comment, submitted_at
    tickets: pd.DataFrame  # ticket_id, customer, order_id, kind, priority, created_at, solved_at, channel
    reviews: pd.DataFrame  # review_id, product, customer, rating, created_at


def simulate_feedback(rng: np.random.Generator, orders: pd.DataFrame, lines: pd.DataFrame) -> Feedback:
    per_order = lines.groupby("order_id").agg(
        any_late=("late", "any"), last_ship=("final_ship_date", "max"), promised=("promised_date", "max")
    )
    orders = orders.join(per_order, on="order_id")
    tickets = _tickets(rng, orders)
    surveys = pd.concat([_nps(rng, orders), _csat(rng, tickets)], ignore_index=True)
    surveys = surveys.sort_values("submitted_at", kind="stable").reset_index(drop=True)
    surveys["response_id"] = [f"R_{i:09d}" for i in range(1, len(surveys) + 1)]
    return Feedback(surveys, tickets, _reviews(rng, lines))


def _timestamps(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[s]") + rng.integers(7 * 3600, 20 * 3600, len(days)).astype("timedelta64[s]")


def _nps(rng: np.random.Generator, orders: pd.DataFrame) -> pd.DataFrame:
    surveyed = orders[rng.random(len(orders)) < NPS_SURVEY_SHARE]
    n = len(surveyed)
    late = surveyed["any_late"].to_numpy()
    score = np.clip(np.round(np.where(late, rng.normal(5.6, 2.3, n), rng.normal(8.5, 1.4, n))), 0, 10).astype(int)
    return pd.DataFrame(
        {
            "survey_type": "NPS",
            "customer": surveyed["customer"].to_numpy(),
            "order_id": surveyed["order_id"].to_numpy(),
            "score": score,
            "comment": [_comment(rng, s) for s in score],
            "submitted_at": _timestamps(rng, surveyed["last_ship"].to_numpy().astype("datetime64[D]") + uniform_days(rng, 2, 14, n)),
        }
    )


def _comment(rng: np.random.Generator, score: int) -> str | None:
    if rng.random() < 0.3:
        return None
    kind = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    return str(rng.choice(COMMENTS[kind]))


def _tickets(rng: np.random.Generator, orders: pd.DataFrame) -> pd.DataFrame:
    late = orders[orders["any_late"] & (rng.random(len(orders)) < LATE_TICKET_SHARE)]
    other = orders[rng.random(len(orders)) < RANDOM_TICKET_SHARE]
    kinds = np.concatenate([np.full(len(late), "late"), rng.choice(["damaged", "invoice"], len(other))])
    both = pd.concat([late, other], ignore_index=True)
    n = len(both)
    opened_day = np.where(
        kinds == "late",
        both["promised"].to_numpy().astype("datetime64[D]") + uniform_days(rng, 1, 5, n),
        both["last_ship"].to_numpy().astype("datetime64[D]") + uniform_days(rng, 1, 20, n),
    )
    created = _timestamps(rng, opened_day)
    resolution = (rng.gamma(1.5, 1.8, n) * 86400).astype(int).astype("timedelta64[s]") + np.timedelta64(1800, "s")
    tickets = pd.DataFrame(
        {
            "customer": both["customer"].to_numpy(),
            "order_id": both["order_id"].to_numpy(),
            "kind": kinds,
            "promised": both["promised"].to_numpy(),
            "priority": np.where(kinds == "late", rng.choice(["high", "urgent", "normal"], n), rng.choice(["low", "normal"], n)),
            "channel": rng.choice(["email", "web", "voice"], n),
            "created_at": created,
            "solved_at": created + resolution,
        }
    )
    tickets = tickets.sort_values("created_at", kind="stable").reset_index(drop=True)
    tickets["ticket_id"] = [str(100000 + i) for i in range(1, len(tickets) + 1)]
    return tickets


def _csat(rng: np.random.Generator, tickets: pd.DataFrame) -> pd.DataFrame:
    asked = tickets[rng.random(len(tickets)) < CSAT_SHARE]
    n = len(asked)
    hours = (asked["solved_at"] - asked["created_at"]).dt.total_seconds().to_numpy() / 3600
    score = np.clip(np.round(rng.normal(np.where(hours < 48, 4.4, 3.0), 0.8, n)), 1, 5).astype(int)
    return pd.DataFrame(
        {
            "survey_type": "CSAT",
            "customer": asked["customer"].to_numpy(),
            "order_id": asked["order_id"].to_numpy(),
            "score": score,
            "comment": [None if rng.random() < 0.5 else ("Quick help, thanks." if s >= 4 else "Slow answer.") for s in score],
            "submitted_at": asked["solved_at"].to_numpy() + rng.integers(600, 3 * 86400, n).astype("timedelta64[s]"),
        }
    )


def _reviews(rng: np.random.Generator, lines: pd.DataFrame) -> pd.DataFrame:
    reviewed = lines[rng.random(len(lines)) < REVIEW_SHARE]
    n = len(reviewed)
    rating = np.clip(np.round(rng.normal(np.where(reviewed["late"], 3.1, 4.2), 0.9, n)), 1, 5).astype(int)
    reviews = pd.DataFrame(
        {
            "product": reviewed["product"].to_numpy(),
            "customer": np.where(rng.random(n) < 0.85, reviewed["customer"].to_numpy(), None),
            "rating": rating,
            "created_at": _timestamps(rng, reviewed["final_ship_date"].to_numpy().astype("datetime64[D]") + uniform_days(rng, 5, 40, n)),
        }
    )
    reviews = reviews.sort_values("created_at", kind="stable").reset_index(drop=True)
    reviews["review_id"] = [f"RV-{i:07d}" for i in range(1, len(reviews) + 1)]
    return reviews
