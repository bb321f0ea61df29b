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


def due_lines(landing: Path) -> pd.DataFrame:
    """Order lines due (promised on or before the last day that exported any delivery), latest version,
    with their product family, promised month, units shipped on time and in all (each capped at the
    line's quantity), and whether they were shipped in full on time (OTIF)."""
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
    shipped = merged.groupby(["SALESORDERID", "SALESORDERITEM"])["qty"].sum().rename("shipped")
    lines = lines.merge(shipped_on_time, on=["SALESORDERID", "SALESORDERITEM"], how="left")
    lines = lines.merge(shipped, on=["SALESORDERID", "SALESORDERITEM"], how="left")
    lines[["shipped_on_time", "shipped"]] = lines[["shipped_on_time", "shipped"]].fillna(0)
    lines["qty"] = lines["QUANTITY"].astype(int)
    lines = lines.merge(products[["PRODUCTID", "PRODUCTFAMILY", "LEADTIMEDAYS"]], on="PRODUCTID")
    lines["month"] = month_of(lines["PROMISEDDATE"], "%Y%m%d")
    lines["otif"] = lines["shipped_on_time"] >= lines["qty"]
    lines["filled"] = lines[["shipped_on_time", "qty"]].min(axis=1)
    lines["shipped_capped"] = lines[["shipped", "qty"]].min(axis=1)
    return lines


def operations_by_family_month(landing: Path) -> pd.DataFrame:
    """Lines due, OTIF lines, OTIF rate and fill rate per product family and promised month."""
    grouped = due_lines(landing).groupby(["month", "PRODUCTFAMILY"])
    result = pd.DataFrame(
        {
            "lines_due": grouped.size(),
            "lines_otif": grouped["otif"].sum(),
            "fill_rate": grouped["filled"].sum() / grouped["qty"].sum(),
        }
    ).reset_index()
    result["otif_rate"] = result["lines_otif"] / result["lines_due"]
    return result.rename(columns={"PRODUCTFAMILY": "product_family"})


def promise_vs_delivery(landing: Path, truth: Path) -> pd.DataFrame:
    """Due lines per promised month, sales rep and product family: promised, on-time and shipped units,
    late lines, and lines promised sooner after the order than the product's lead time.

    The rep of a line: the owner of the opportunity its order came from (EXTERNALREF), else the owner
    of the ordering customer's CRM account (which account is which customer: the demo's truth file).
    """
    lines = due_lines(landing)
    orders = latest(read_export(landing, "erp", "sales_orders"), ["SALESORDERID"], "CHANGEDAT")
    opportunities = latest(read_export(landing, "crm", "opportunities"), ["Id"], "LastModifiedDate")
    accounts = latest(read_export(landing, "crm", "accounts"), ["Id"], "LastModifiedDate")
    matches = pd.read_csv(truth, dtype=str).merge(accounts[["Id", "OwnerId"]], left_on="account_id", right_on="Id")
    account_owner = matches.drop_duplicates("customer_id").set_index("customer_id")["OwnerId"]
    opportunity_owner = opportunities.set_index("Id")["OwnerId"]
    lines = lines.merge(orders[["SALESORDERID", "EXTERNALREF", "PARTNERID", "ORDERDATE"]], on="SALESORDERID")
    rep = lines["EXTERNALREF"].map(opportunity_owner).fillna(lines["PARTNERID"].map(account_owner))
    lines["sales_rep_id"] = rep.fillna("unassigned")
    days_promised = (pd.to_datetime(lines["PROMISEDDATE"], format="%Y%m%d") - pd.to_datetime(lines["ORDERDATE"], format="%Y%m%d")).dt.days
    lines["inside_lead_time"] = days_promised < lines["LEADTIMEDAYS"].astype(int)
    grouped = lines.groupby(["month", "sales_rep_id", "PRODUCTFAMILY"])
    result = pd.DataFrame(
        {
            "lines_due": grouped.size(),
            "promised_units": grouped["qty"].sum(),
            "on_time_units": grouped["filled"].sum(),
            "shipped_units": grouped["shipped_capped"].sum(),
            "late_lines": grouped["otif"].apply(lambda s: (~s).sum()),
            "lines_promised_inside_lead_time": grouped["inside_lead_time"].sum(),
        }
    ).reset_index()
    return result.rename(columns={"PRODUCTFAMILY": "product_family"})


def open_pipeline_on(landing: Path, day: str) -> pd.DataFrame:
    """Open opportunities and their amount per stage as the pipeline stood at the end of ``day`` (YYYY-MM-DD).

    An opportunity's state then is its last history record made on or before that day; one without
    any history record counts in its current stage from its creation day while that stage is open.
    """
    closed = ["Closed Won", "Closed Lost"]
    history = latest(read_export(landing, "crm", "opportunity_history"), ["Id"], "CreatedDate")
    recorded = history[history["CreatedDate"].str[:10] <= day].sort_values(["CreatedDate", "Id"], kind="stable")
    states = recorded.drop_duplicates("OpportunityId", keep="last")[["OpportunityId", "StageName", "Amount"]]
    opportunities = latest(read_export(landing, "crm", "opportunities"), ["Id"], "LastModifiedDate")
    unrecorded = opportunities[~opportunities["Id"].isin(history["OpportunityId"]) & (opportunities["CreatedDate"].str[:10] <= day)]
    states = pd.concat([states, unrecorded.rename(columns={"Id": "OpportunityId"})[["OpportunityId", "StageName", "Amount"]]])
    open_states = states[~states["StageName"].isin(closed)].copy()
    open_states["amount"] = open_states["Amount"].astype(float).fillna(0)
    grouped = open_states.groupby("StageName")
    return pd.DataFrame({"open_opportunities": grouped.size(), "open_amount": grouped["amount"].sum()}).reset_index()


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


def sop_sales_side(landing: Path) -> pd.DataFrame:
    """Per order month and product family: booked units (order lines by their order's date) and, per
    expected close month, the weighted pipeline of the opportunities open now (amount × probability / 100)."""
    lines = latest(read_export(landing, "erp", "sales_order_lines"), ["SALESORDERID", "SALESORDERITEM"], "CHANGEDAT")
    orders = latest(read_export(landing, "erp", "sales_orders"), ["SALESORDERID"], "CHANGEDAT")
    products = latest(read_export(landing, "erp", "products"), ["PRODUCTID"], "CHANGEDAT")
    lines = lines.merge(orders[["SALESORDERID", "ORDERDATE"]], on="SALESORDERID").merge(products[["PRODUCTID", "PRODUCTFAMILY"]], on="PRODUCTID")
    lines["month"] = month_of(lines["ORDERDATE"], "%Y%m%d")
    lines["qty"] = lines["QUANTITY"].astype(int)
    booked = lines.groupby(["month", "PRODUCTFAMILY"])["qty"].sum().rename("booked_units")
    opportunities = latest(read_export(landing, "crm", "opportunities"), ["Id"], "LastModifiedDate")
    open_now = opportunities[~opportunities["StageName"].isin(["Closed Won", "Closed Lost"])].copy()
    open_now["month"] = month_of(open_now["CloseDate"], "%Y-%m-%d")
    open_now["weighted"] = open_now["Amount"].astype(float).fillna(0) * open_now["Probability"].astype(float).fillna(0) / 100
    weighted = open_now.groupby(["month", "Product_Family__c"])["weighted"].sum().rename("weighted_pipeline_amount")
    weighted.index = weighted.index.set_names(["month", "PRODUCTFAMILY"])
    result = pd.concat([booked, weighted], axis=1).fillna(0).reset_index()
    return result.rename(columns={"PRODUCTFAMILY": "product_family"})


def expected_bookings(landing: Path, win_probability: pd.DataFrame) -> pd.DataFrame:
    """Per expected close month and product family: sum(amount × the model's win probability) of the
    opportunities open now in the export files (``win_probability``: ``opportunity_id``, ``win_probability``)."""
    opportunities = latest(read_export(landing, "crm", "opportunities"), ["Id"], "LastModifiedDate")
    open_now = opportunities[~opportunities["StageName"].isin(["Closed Won", "Closed Lost"])].copy()
    open_now = open_now.merge(win_probability, left_on="Id", right_on="opportunity_id", how="left", validate="one_to_one")
    open_now["month"] = month_of(open_now["CloseDate"], "%Y-%m-%d")
    open_now["expected"] = open_now["Amount"].astype(float).fillna(0) * open_now["win_probability"]
    result = open_now.groupby(["month", "Product_Family__c"], as_index=False)["expected"].sum()
    return result.rename(columns={"Product_Family__c": "product_family", "expected": "expected_bookings_amount"})
