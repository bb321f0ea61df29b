"""KPIs computed straight from the export files with pandas, independently of the warehouse.

Only the export formats are shared with the system under test (column names as the exports spell
them); the reading, de-duplication and formulas are written again here, the way an analyst would
check a dashboard by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


def read_export(landing: Path, source: str, obj: str) -> pd.DataFrame:
    """Every export file of one object, as text columns, with the export day as ``_export_day``."""
    frames = []
    for day_dir in sorted((landing / source / obj).iterdir()):
        for path in sorted(day_dir.iterdir()):
            if path.suffix == ".jsonl":
                records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
                frame = pd.DataFrame(records).astype("string")
            else:
                frame = pd.read_csv(path, dtype="string", keep_default_na=False, na_values=[""])
            frame["_export_day"] = day_dir.name
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def latest(frame: pd.DataFrame, key: list[str], updated: str) -> pd.DataFrame:
    """The latest version of each key: by the updated column, then the export day."""
    ordered = frame.sort_values([updated, "_export_day"], kind="stable")
    return ordered.drop_duplicates(key, keep="last").reset_index(drop=True)


def month_of(values: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(values, format=fmt).dt.to_period("M").dt.to_timestamp()


def sales_by_rep_month(landing: Path) -> pd.DataFrame:
    """Bookings, won, lost and win rate per opportunity owner and close month."""
    opportunities = latest(read_export(landing, "crm", "opportunities"), ["Id"], "LastModifiedDate")
    closed = opportunities[opportunities["StageName"].isin(["Closed Won", "Closed Lost"])].copy()
    closed["month"] = month_of(closed["CloseDate"], "%Y-%m-%d")
    closed["won"] = closed["StageName"] == "Closed Won"
    closed["amount"] = closed["Amount"].astype(float)
    grouped = closed.groupby(["month", "OwnerId"])
    result = pd.DataFrame(
        {
            "bookings_amount": grouped.apply(lambda g: g.loc[g["won"], "amount"].sum(), include_groups=False),
            "won_count": grouped["won"].sum(),
            "lost_count": grouped["won"].apply(lambda s: (~s).sum()),
        }
    ).reset_index()
    result["win_rate"] = result["won_count"] / (result["won_count"] + result["lost_count"])
    return result


def operations_by_family_month(landing: Path) -> pd.DataFrame:
    """Lines due, OTIF lines, OTIF rate and fill rate per product family and promised month.

    A line is due when promised on or before the last day that exported any delivery.
    """
    lines = latest(read_export(landing, "erp", "sales_order_lines"), ["SALESORDERID", "SALESORDERITEM"], "CHANGEDAT")
    all_deliveries = read_export(landing, "erp", "deliveries")
    as_of = all_deliveries["_export_day"].max().replace("-", "")  # YYYYMMDD, as the ERP writes dates
    lines = lines[lines["PROMISEDDATE"] <= as_of]
    deliveries = latest(all_deliveries, ["DELIVERYID"], "CHANGEDAT")
    products = latest(read_export(landing, "erp", "products"), ["PRODUCTID"], "CHANGEDAT")
    deliveries["qty"] = deliveries["SHIPPEDQTY"].astype(int)
    merged = deliveries.merge(
        lines[["SALESORDERID", "SALESORDERITEM", "PROMISEDDATE"]], on=["SALESORDERID", "SALESORDERITEM"], how="inner"
    )
    on_time = merged[merged["GOODSISSUEDATE"] <= merged["PROMISEDDATE"]]  # YYYYMMDD text sorts as dates
    shipped_on_time = on_time.groupby(["SALESORDERID", "SALESORDERITEM"])["qty"].sum().rename("shipped_on_time")
    lines = lines.merge(shipped_on_time, on=["SALESORDERID", "SALESORDERITEM"], how="left")
    lines["shipped_on_time"] = lines["shipped_on_time"].fillna(0)
    lines["qty"] = lines["QUANTITY"].astype(int)
    lines = lines.merge(products[["PRODUCTID", "PRODUCTFAMILY"]], on="PRODUCTID")
    lines["month"] = month_of(lines["PROMISEDDATE"], "%Y%m%d")
    lines["otif"] = lines["shipped_on_time"] >= lines["qty"]
    lines["filled"] = lines[["shipped_on_time", "qty"]].min(axis=1)
    grouped = lines.groupby(["month", "PRODUCTFAMILY"])
    result = pd.DataFrame(
        {
            "lines_due": grouped.size(),
            "lines_otif": grouped["otif"].sum(),
            "fill_rate": grouped["filled"].sum() / grouped["qty"].sum(),
        }
    ).reset_index()
    result["otif_rate"] = result["lines_otif"] / result["lines_due"]
    return result.rename(columns={"PRODUCTFAMILY": "product_family"})


def nps_by_region_month(landing: Path) -> pd.DataFrame:
    """NPS per customer region and month of the response."""
    responses = latest(read_export(landing, "feedback", "survey_responses"), ["responseId"], "submittedAt")
    customers = latest(read_export(landing, "erp", "customers"), ["CUSTOMERID"], "CHANGEDAT")
    nps = responses[responses["surveyType"] == "NPS"].merge(
        customers[["CUSTOMERID", "REGION"]], left_on="customerId", right_on="CUSTOMERID"
    )
    nps["score"] = nps["score"].astype(int)
    nps["month"] = month_of(nps["submittedAt"], "%Y-%m-%dT%H:%M:%SZ")
    grouped = nps.groupby(["month", "REGION"])["score"]
    result = pd.DataFrame(
        {
            "nps_responses": grouped.size(),
            "nps": 100 * (grouped.apply(lambda s: (s >= 9).sum()) - grouped.apply(lambda s: (s <= 6).sum())) / grouped.size(),
        }
    ).reset_index()
    return result.rename(columns={"REGION": "region"})
