"""The demo company's CRM as the warehouse gives it to the win-probability model, without a warehouse."""

from __future__ import annotations

from datetime import date

import pandas as pd

from demo_company import DemoConfig, simulate
from demo_company.catalog import FAMILIES

LAST_EXPORT_DAY = date(2025, 12, 31)


def warehouse_frames(scale: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stage history and the latest opportunity records as the warehouse holds them after the last export day."""
    company = simulate(DemoConfig(seed=42, scale=scale, start=date(2023, 1, 1), end=LAST_EXPORT_DAY))
    events = company.sales.stage_events
    events = events[events["changed_at"] < pd.Timestamp(LAST_EXPORT_DAY) + pd.Timedelta(days=1)]
    history = pd.DataFrame(
        {
            "opportunity_id": events["opportunity_id"], "stage_name": events["stage_name"],
            "is_closed": events["is_closed"], "is_won": events["is_won"], "amount": events["stage_amount"],
            "probability": events["probability"], "close_date": events["close_date"].dt.date, "valid_from": events["changed_at"],
        }
    )
    latest = events.sort_values("changed_at", kind="stable").drop_duplicates("opportunity_id", keep="last")
    created = events.groupby("opportunity_id")["changed_at"].min()
    opportunities = pd.DataFrame(
        {
            "opportunity_id": latest["opportunity_id"], "account_id": latest["account_id"], "sales_rep_id": latest["owner_id"],
            "product_family": latest["family"].map(lambda family: FAMILIES[int(family)].name), "quantity": latest["quantity"],
            "created_at": latest["opportunity_id"].map(created), "stage_name": latest["stage_name"],
            "is_closed": latest["is_closed"], "is_won": latest["is_won"], "amount": latest["stage_amount"],
            "probability": latest["probability"], "close_date": latest["close_date"].dt.date,
        }
    )
    return history, opportunities
