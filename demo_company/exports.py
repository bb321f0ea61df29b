"""Render the simulated company as the export files its three systems would write.

Every object is a delta export: a record appears in the export of each day it was created or
changed. The first export day's export is the initial one: it also holds the latest version (as of
that day) of every record created or changed before it. A small share of records is delivered
again the next day, unchanged, as real exports do.
"""

from __future__ import annotations

import csv
import filecmp
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from demo_company.catalog import FAMILIES
from demo_company.feedback import REVIEW_TEXT, TICKET_KINDS, Feedback
from demo_company.fulfilment import PLANNING_MONTHS, Fulfilment
from demo_company.identities import DuplicateAccount
from demo_company.parties import Customer, Rep, contacts_for, salesforce_id
from demo_company.products import Product
from demo_company.sales import Sales
from demo_company.timeline import day

DUPLICATE_SHARE = 0.005
CURRENCY = "USD"
EXPORT = "_export"
RENDER_ROWS = 200_000  # records rendered as text at a time: bounds the memory of writing a large export


@dataclass(frozen=True)
class ExportObject:
    source: str
    object: str
    frame: pd.DataFrame  # export columns as text, plus the export day in EXPORT
    key: tuple[str, ...]  # the columns that identify a record across its versions
    jsonl: bool = False
    redelivered: bool = True  # whether a share of records is delivered twice


@dataclass
class Company:
    start: date
    end: date
    reps: list[Rep]
    customers: list[Customer]
    products: list[Product]
    sales: Sales
    fulfilment: Fulfilment
    feedback: Feedback
    crm_streets: dict[int, str | None]  # billing street as the CRM spells it, by customer index
    duplicate_accounts: list[DuplicateAccount]


def formatted(values, fmt: str) -> pd.Series:
    """Dates or timestamps as text in ``fmt``; each distinct value is formatted once. NaT becomes None."""
    codes, uniques = pd.factorize(pd.to_datetime(np.asarray(values)))
    text = np.append(pd.DatetimeIndex(uniques).strftime(fmt).to_numpy(dtype=object), None)
    return pd.Series(text[codes])  # code -1 (NaT) takes the trailing None


def crm_timestamp(values) -> pd.Series:
    return formatted(values, "%Y-%m-%dT%H:%M:%S.000+0000")


def sap_date(values) -> pd.Series:
    return formatted(values, "%Y%m%d")


def iso_date(values) -> pd.Series:
    return formatted(values, "%Y-%m-%d")


def plain_timestamp(values) -> pd.Series:
    return formatted(values, "%Y-%m-%d %H:%M:%S")


def as_text(values, render: Callable[[object], str] = str) -> pd.Series:
    """Values as text; each distinct value is rendered once and its rows share the string (millions
    of rows, few distinct values: the memory of the text is that of the distinct values)."""
    codes, uniques = pd.factorize(np.asarray(values), use_na_sentinel=False)
    return pd.Series(np.array([render(value) for value in uniques], dtype=object)[codes])


def money(values) -> pd.Series:
    return as_text(np.asarray(values, dtype=float), "{:.2f}".format)


def flag(values) -> pd.Series:
    """Booleans as the exports spell them: true or false."""
    return as_text(np.asarray(values, dtype=bool), lambda value: "true" if value else "false")


def export_objects(company: Company, rng: np.random.Generator) -> Iterator[ExportObject]:
    """The sixteen objects, built one at a time: only the one being written is held in memory."""
    builders: list[Callable[[Company, np.random.Generator], ExportObject]] = [
        _users, _accounts, _contacts, _opportunities, _opportunity_history, _quotas,
        _customers, _products, _sales_orders, _sales_order_lines, _deliveries, _inventory, _capacity,
        _survey_responses, _reviews, _tickets,
    ]
    return (builder(company, rng) for builder in builders)


def write_exports(objects: Iterable[ExportObject], landing: Path, start: date, end: date, rng: np.random.Generator) -> dict[str, int]:
    """Write each object's records into one file per export day from ``start`` to ``end``; returns rows written per object.

    ``rng`` chooses the redelivered records; give it a stream of its own, apart from the builders',
    so that building and writing the objects in turn draws the same numbers as building them all first.
    """
    written = {}
    for obj in objects:
        rows, days = _export_rows(obj, day(start), day(end), rng)
        _write_object(obj, rows, days, landing)
        written[f"{obj.source}__{obj.object}"] = len(rows)
    return written


def _export_rows(obj: ExportObject, first: np.datetime64, last: np.datetime64, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Which of the object's rows each export day from ``first`` to ``last`` holds, in the order written:
    positions in ``obj.frame`` and their export days, sorted by day (the versions of one day in the
    order built). The initial export on ``first`` holds each record's latest version before it; a
    share of the records is delivered again the next day. Positions, not copies of the frame: at
    scale 100 an object has 20 million rows."""
    exported = obj.frame[EXPORT].to_numpy().astype("datetime64[D]")
    order = np.argsort(exported, kind="stable")
    earlier = exported[order] < first
    history = order[earlier]
    latest = ~obj.frame[list(obj.key)].iloc[history].duplicated(keep="last").to_numpy()
    rows = np.concatenate([history[latest], order[~earlier]])
    days = np.concatenate([np.full(int(latest.sum()), first), exported[order[~earlier]]])
    rows, days = rows[days <= last], days[days <= last]
    if obj.redelivered and len(rows):
        again = rng.random(len(rows)) < DUPLICATE_SHARE
        next_day = days[again] + np.timedelta64(1, "D")
        rows = np.concatenate([rows, rows[again][next_day <= last]])
        days = np.concatenate([days, next_day[next_day <= last]])
    by_day = np.argsort(days, kind="stable")
    return rows[by_day], days[by_day]


def _write_object(obj: ExportObject, rows: np.ndarray, days: np.ndarray, landing: Path) -> None:
    """One file per export day, each rendered RENDER_ROWS records at a time.

    Files whose content is unchanged are left alone (so their modification time, which the new-files
    sensor watches, stays); files of an earlier generation that this one does not write are removed.
    """
    folder = landing / obj.source / obj.object
    boundaries = np.flatnonzero(days[1:] != days[:-1]) + 1
    name = f"{obj.object}.{'jsonl' if obj.jsonl else 'csv'}"
    written = set()
    for begin, finish in zip(np.r_[0, boundaries], np.r_[boundaries, len(days)], strict=True):
        if finish == begin:
            continue
        target = folder / str(days[begin]) / name
        _write_if_changed(target, _rendered(obj, rows[begin:finish]))
        written.add(target)
    _remove_stale(folder, written)


def _rendered(obj: ExportObject, rows: np.ndarray) -> Iterator[bytes]:
    """Those rows of the object as UTF-8 text, a slice at a time (CSV with a header, quoted only where needed, nulls empty)."""
    exported = [i for i, name in enumerate(obj.frame.columns) if name != EXPORT]
    if not obj.jsonl:
        yield _csv_text([obj.frame.columns[exported]]).encode("utf-8")
    for begin in range(0, len(rows), RENDER_ROWS):
        part = obj.frame.iloc[rows[begin : begin + RENDER_ROWS], exported]
        if obj.jsonl:
            yield part.to_json(orient="records", lines=True, force_ascii=False).encode("utf-8")
        else:
            values = [part[c].astype(object).where(part[c].notna(), None).tolist() for c in part.columns]
            yield _csv_text(zip(*values, strict=True)).encode("utf-8")


def _csv_text(rows: Iterable) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _write_if_changed(target: Path, chunks: Iterable[bytes]) -> None:
    """Write the chunks to ``target`` through a ``.part`` file (which ingestion treats as still being
    written), and replace ``target`` only if the content differs."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    if target.exists() and filecmp.cmp(partial, target, shallow=False):
        partial.unlink()
    else:
        partial.replace(target)


def _remove_stale(folder: Path, keep: set[Path]) -> None:
    if not folder.is_dir():
        return
    for day_folder in folder.iterdir():
        for path in day_folder.iterdir() if day_folder.is_dir() else ():
            if path not in keep:
                path.unlink()
        if day_folder.is_dir() and not any(day_folder.iterdir()):
            day_folder.rmdir()


# --- CRM (Salesforce object exports, API field names) ---------------------------------------------


def _users(company: Company, rng: np.random.Generator) -> ExportObject:
    reps = company.reps
    created = np.array([np.datetime64(r.created, "s") for r in reps]) + np.timedelta64(9 * 3600, "s")
    frame = pd.DataFrame(
        {
            "Id": [r.user_id for r in reps],
            "Name": [r.name for r in reps],
            "Email": [r.email for r in reps],
            "Title": [r.title for r in reps],
            "Territory__c": [r.territory for r in reps],
            "Region__c": [r.region for r in reps],
            "ManagerId": [r.manager_id for r in reps],
            "IsActive": "true",
            "CreatedDate": crm_timestamp(created),
            "LastModifiedDate": crm_timestamp(created),
            EXPORT: created.astype("datetime64[D]"),
        }
    )
    # one promotion half-way through: a second version of that user
    promoted = frame[frame["Title"] == "Account Executive"].head(1).copy()
    when = np.datetime64(company.start, "s") + np.timedelta64((company.end - company.start).days // 2, "D") + np.timedelta64(10 * 3600, "s")
    promoted["Title"] = "Senior Account Executive"
    promoted["LastModifiedDate"] = crm_timestamp([when]).to_numpy()
    promoted[EXPORT] = when.astype("datetime64[D]")
    return ExportObject("crm", "users", pd.concat([frame, promoted], ignore_index=True), ("Id",))


def _tracked(company: Company) -> list[Customer]:
    return [c for c in company.customers if c.account_id is not None]


def _accounts(company: Company, rng: np.random.Generator) -> ExportObject:
    accounts = _tracked(company)
    created = np.array([np.datetime64(c.active_from, "s") for c in accounts]) - np.timedelta64(20, "D") + np.timedelta64(11 * 3600, "s")
    frame = pd.DataFrame(
        {
            "Id": [c.account_id for c in accounts],
            "Name": [c.crm_name for c in accounts],
            "Website": [c.crm_website for c in accounts],
            "Tax_ID__c": [c.crm_tax_id for c in accounts],
            "BillingStreet": [company.crm_streets[c.index] for c in accounts],
            "BillingCity": [c.city for c in accounts],
            "BillingPostalCode": [c.postal_code for c in accounts],
            "BillingCountry": [c.country for c in accounts],
            "Industry": [c.industry for c in accounts],
            "OwnerId": [c.rep_id for c in accounts],
            "IsDeleted": "false",
            "MasterRecordId": None,
            "CreatedDate": crm_timestamp(created),
            "LastModifiedDate": crm_timestamp(created),
            EXPORT: created.astype("datetime64[D]"),
        }
    )
    # some accounts are edited later (industry re-classified): a second version
    edited = frame[rng.random(len(frame)) < 0.05].copy()
    span = max((company.end - company.start).days, 1)
    when = np.datetime64(company.start, "s") + rng.integers(1, span + 1, len(edited)).astype("timedelta64[D]") + np.timedelta64(14 * 3600, "s")
    when = np.maximum(when, created[edited.index.to_numpy()] + np.timedelta64(1, "D"))
    edited["Industry"] = rng.choice(["Retail", "Wholesale", "Rental"], len(edited))
    edited["LastModifiedDate"] = crm_timestamp(when).to_numpy()
    edited[EXPORT] = when.astype("datetime64[D]")
    versions = [frame, edited, *_duplicate_account_versions(company.duplicate_accounts)]
    return ExportObject("crm", "accounts", pd.concat(versions, ignore_index=True), ("Id",))


def _duplicate_account_versions(duplicates: list[DuplicateAccount]) -> list[pd.DataFrame]:
    """Each duplicate as created (bare: no tax id, no website) and, once merged, as deleted into its master."""
    if not duplicates:
        return []
    created = np.array([np.datetime64(d.created, "s") for d in duplicates]) + np.timedelta64(10 * 3600, "s")
    opened = pd.DataFrame(
        {
            "Id": [d.account_id for d in duplicates],
            "Name": [d.crm_name for d in duplicates],
            "Website": None,
            "Tax_ID__c": None,
            "BillingStreet": [d.master.street for d in duplicates],
            "BillingCity": [d.master.city for d in duplicates],
            "BillingPostalCode": [d.master.postal_code for d in duplicates],
            "BillingCountry": [d.master.country for d in duplicates],
            "Industry": [d.master.industry for d in duplicates],
            "OwnerId": [d.master.rep_id for d in duplicates],
            "IsDeleted": "false",
            "MasterRecordId": None,
            "CreatedDate": crm_timestamp(created),
            "LastModifiedDate": crm_timestamp(created),
            EXPORT: created.astype("datetime64[D]"),
        }
    )
    merged = [d.merged_on is not None for d in duplicates]
    deleted = opened[merged].copy()
    when = np.array([np.datetime64(d.merged_on, "s") for d in duplicates if d.merged_on is not None]) + np.timedelta64(16 * 3600, "s")
    deleted["IsDeleted"] = "true"
    deleted["MasterRecordId"] = [d.master.account_id for d in duplicates if d.merged_on is not None]
    deleted["LastModifiedDate"] = crm_timestamp(when).to_numpy()
    deleted[EXPORT] = when.astype("datetime64[D]")
    return [opened, deleted]


def _contacts(company: Company, rng: np.random.Generator) -> ExportObject:
    rows = []
    number = 1
    for c in _tracked(company):
        created = np.datetime64(c.active_from, "s") - np.timedelta64(15, "D") + np.timedelta64(12 * 3600, "s")
        for person in contacts_for(rng, c):
            rows.append((salesforce_id("003", number), c.account_id, person["first"], person["last"], person["email"], person["phone"], person["title"], created))
            number += 1
    frame = pd.DataFrame(rows, columns=["Id", "AccountId", "FirstName", "LastName", "Email", "Phone", "Title", "created"])
    frame["CreatedDate"] = crm_timestamp(frame["created"])
    frame["LastModifiedDate"] = frame["CreatedDate"]
    frame[EXPORT] = frame["created"].to_numpy().astype("datetime64[D]")
    return ExportObject("crm", "contacts", frame.drop(columns=["created"]), ("Id",))


def _opportunities(company: Company, rng: np.random.Generator) -> ExportObject:
    """The opportunity as it stood after each stage change (one version per change)."""
    events = company.sales.stage_events
    customers = {c.index: c for c in company.customers}
    created = events.groupby("opportunity_id")["changed_at"].transform("min")
    family = events["family"].map(lambda f: FAMILIES[f].name)
    first = events.drop_duplicates("opportunity_id")  # the name is the opportunity's: built once per opportunity
    names = pd.Series(
        [f"{customers[c].name} - {FAMILIES[f].name} x{q}" for c, f, q in zip(first["customer"], first["family"], first["quantity"], strict=True)],
        index=first["opportunity_id"].to_numpy(),
    )
    frame = pd.DataFrame(
        {
            "Id": events["opportunity_id"],
            "Name": events["opportunity_id"].map(names),
            "AccountId": events["account_id"],
            "OwnerId": events["owner_id"],
            "StageName": events["stage_name"],
            "Amount": money(events["stage_amount"]),
            "CurrencyIsoCode": CURRENCY,
            "Probability": as_text(events["probability"]),
            "CloseDate": iso_date(events["close_date"]),
            "IsClosed": flag(events["is_closed"]),
            "IsWon": flag(events["is_won"]),
            "Type": as_text(events["existing_business"], lambda existing: "Existing Business" if existing else "New Business"),
            "LeadSource": events["lead_source"],
            "ForecastCategoryName": events["forecast_category"],
            "Product_Family__c": family,
            "Quantity__c": as_text(events["quantity"]),
            "CreatedDate": crm_timestamp(created),
            "LastModifiedDate": crm_timestamp(events["changed_at"]),
            EXPORT: events["changed_at"].to_numpy().astype("datetime64[D]"),
        }
    )
    return ExportObject("crm", "opportunities", frame, ("Id",))


def _opportunity_history(company: Company, rng: np.random.Generator) -> ExportObject:
    events = company.sales.stage_events
    frame = pd.DataFrame(
        {
            "Id": [salesforce_id("008", n) for n in range(1, len(events) + 1)],  # numbered in the order of the changes
            "OpportunityId": events["opportunity_id"],
            "StageName": events["stage_name"],
            "Amount": money(events["stage_amount"]),
            "Probability": as_text(events["probability"]),
            "CloseDate": iso_date(events["close_date"]),
            "CreatedById": events["owner_id"],
            "CreatedDate": crm_timestamp(events["changed_at"]),
            EXPORT: events["changed_at"].to_numpy().astype("datetime64[D]"),
        }
    )
    return ExportObject("crm", "opportunity_history", frame, ("Id",))


def _quotas(company: Company, rng: np.random.Generator) -> ExportObject:
    """A monthly quota per account executive: their average monthly bookings, seasonal, plus 10%."""
    won = company.sales.opportunities[company.sales.opportunities["won"]]
    months = pd.date_range(pd.Timestamp(company.start).to_period("M").to_timestamp(), pd.Timestamp(company.end), freq="MS")
    years = max(len(months) / 12, 1)
    rows = []
    number = 1
    for rep in company.reps:
        if rep.manager_id is None:
            continue
        monthly = won.loc[won["owner_id"] == rep.user_id, "amount"].sum() / (12 * years)
        for month in months:
            season = 1 + 0.3 * np.cos(2 * np.pi * (month.month - 5) / 12)
            quota = max(round(monthly * season * 1.1, -3), 1000)
            quarter_start = pd.Timestamp(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
            exported = max(quarter_start, pd.Timestamp(company.start))
            rows.append((salesforce_id("0J9", number), rep.user_id, month, f"{quota:.2f}", exported + pd.Timedelta(hours=7)))
            number += 1
    frame = pd.DataFrame(rows, columns=["Id", "QuotaOwnerId", "month", "QuotaAmount", "modified"])
    return ExportObject(
        "crm",
        "quotas",
        pd.DataFrame(
            {
                "Id": frame["Id"],
                "QuotaOwnerId": frame["QuotaOwnerId"],
                "StartDate": iso_date(frame["month"]),
                "QuotaAmount": frame["QuotaAmount"],
                "CurrencyIsoCode": CURRENCY,
                "LastModifiedDate": crm_timestamp(frame["modified"]),
                EXPORT: frame["modified"].to_numpy().astype("datetime64[D]"),
            }
        ),
        ("Id",),
    )


# --- ERP (SAP-style exports: upper-case names, YYYYMMDD dates, zero-padded ids) --------------------


def _customers(company: Company, rng: np.random.Generator) -> ExportObject:
    customers = [c for c in company.customers if c.customer_id is not None]
    created = np.array([np.datetime64(c.active_from, "D") for c in customers]) - np.timedelta64(10, "D")
    frame = pd.DataFrame(
        {
            "CUSTOMERID": [c.customer_id for c in customers],
            "COMPANYNAME": [c.name.upper() for c in customers],
            "LEGALFORM": [c.legal_form for c in customers],
            "TAXID": [c.tax_id for c in customers],
            "EMAILADDRESS": [f"orders@{c.domain}" for c in customers],
            "PHONENUMBER": [f"+{rng.integers(1, 99)} {rng.integers(100, 999)} {rng.integers(100000, 999999)}" for _ in customers],
            "WEBADDRESS": [f"http://www.{c.domain}" for c in customers],
            "STREET": [c.street for c in customers],
            "CITY": [c.city for c in customers],
            "POSTALCODE": [c.postal_code for c in customers],
            "COUNTRY": [c.country for c in customers],
            "REGION": [c.region for c in customers],
            "CREATEDAT": sap_date(created),
            "CHANGEDAT": sap_date(created),
            EXPORT: created,
        }
    )
    return ExportObject("erp", "customers", frame, ("CUSTOMERID",))


def _products(company: Company, rng: np.random.Generator) -> ExportObject:
    rows = []
    for p in company.products:
        base = (p.product_id, p.name, FAMILIES[p.family].name, p.category, f"{p.unit_cost:.2f}")
        rows.append((*base, f"{p.list_price:.2f}", p.lead_time_days, p.created, p.created))
        if p.price_changed_on is not None:
            rows.append((*base, f"{p.new_price:.2f}", p.lead_time_days, p.created, p.price_changed_on))
    frame = pd.DataFrame(rows, columns=["PRODUCTID", "PRODUCTNAME", "PRODUCTFAMILY", "PRODCATEGORY", "UNITCOST", "PRICE", "LEADTIMEDAYS", "created", "changed"])
    frame.insert(6, "CURRENCY", CURRENCY)
    frame["LEADTIMEDAYS"] = frame["LEADTIMEDAYS"].astype(str)
    frame["CREATEDAT"] = sap_date(frame["created"])
    frame["CHANGEDAT"] = sap_date(frame["changed"])
    frame[EXPORT] = pd.to_datetime(frame["changed"]).to_numpy().astype("datetime64[D]")
    return ExportObject("erp", "products", frame.drop(columns=["created", "changed"]), ("PRODUCTID",))


def _sales_orders(company: Company, rng: np.random.Generator) -> ExportObject:
    """Each order when created (status N) and again when its last line shipped (status C)."""
    orders = company.sales.orders
    customers = {c.index: c for c in company.customers}
    completed = company.fulfilment.lines.groupby("order_id")["final_ship_date"].max()
    ordered = orders["order_date"].to_numpy().astype("datetime64[D]")
    base = pd.DataFrame(
        {
            "SALESORDERID": orders["order_id"],
            "PARTNERID": orders["customer"].map(lambda i: customers[i].customer_id),
            "ORDERDATE": sap_date(ordered),
            "SALESORG": orders["region"].map({"AMER": "1000", "EMEA": "2000", "APAC": "3000"}),
            "CURRENCY": CURRENCY,
            "EXTERNALREF": orders["opportunity_id"],
            "LIFECYCLESTATUS": "N",
            "CREATEDAT": sap_date(ordered),
            "CHANGEDAT": sap_date(ordered),
            EXPORT: ordered,
        }
    )
    done = base.copy()
    done_day = orders["order_id"].map(completed).to_numpy().astype("datetime64[D]")
    done["LIFECYCLESTATUS"] = "C"
    done["CHANGEDAT"] = sap_date(done_day)
    done[EXPORT] = done_day
    return ExportObject("erp", "sales_orders", pd.concat([base, done], ignore_index=True), ("SALESORDERID",))


def _sales_order_lines(company: Company, rng: np.random.Generator) -> ExportObject:
    """Each line when ordered, again when re-promised, and again when fully shipped (status C)."""
    lines = company.fulfilment.lines
    codes = [p.product_id for p in company.products]
    ordered = lines["order_date"].to_numpy().astype("datetime64[D]")
    base = pd.DataFrame(
        {
            "SALESORDERID": lines["order_id"],
            "SALESORDERITEM": as_text(lines["line_number"]),
            "PRODUCTID": lines["product"].map(lambda i: codes[i]),
            "QUANTITY": as_text(lines["quantity"]),
            "UNITPRICE": money(lines["unit_price"]),
            "NETAMOUNT": money(lines["net_amount"]),
            "CURRENCY": CURRENCY,
            "REQUESTEDDATE": sap_date(lines["requested_date"]),
            "PROMISEDDATE": sap_date(lines["first_promised_date"]),
            "PLANT": lines["plant"],
            "ITEMSTATUS": "N",
            "CHANGEDAT": sap_date(ordered),
            EXPORT: ordered,
        }
    )
    repromised_mask = lines["repromised_on"].notna().to_numpy()
    repromised = base[repromised_mask].copy()
    repromised_day = lines.loc[repromised_mask, "repromised_on"].to_numpy().astype("datetime64[D]")
    repromised["PROMISEDDATE"] = sap_date(lines.loc[repromised_mask, "promised_date"]).to_numpy()
    repromised["CHANGEDAT"] = sap_date(repromised_day).to_numpy()
    repromised[EXPORT] = repromised_day
    done = base.copy()
    done_day = lines["final_ship_date"].to_numpy().astype("datetime64[D]")
    done["PROMISEDDATE"] = sap_date(lines["promised_date"])
    done["ITEMSTATUS"] = "C"
    done["CHANGEDAT"] = sap_date(done_day)
    done[EXPORT] = done_day
    return ExportObject("erp", "sales_order_lines", pd.concat([base, repromised, done], ignore_index=True), ("SALESORDERID", "SALESORDERITEM"))


def _deliveries(company: Company, rng: np.random.Generator) -> ExportObject:
    shipments = company.fulfilment.deliveries
    codes = [p.product_id for p in company.products]
    shipped = shipments["ship_date"].to_numpy().astype("datetime64[D]")
    frame = pd.DataFrame(
        {
            "DELIVERYID": shipments["delivery_id"],
            "SALESORDERID": shipments["order_id"],
            "SALESORDERITEM": as_text(shipments["line_number"]),
            "PRODUCTID": shipments["product"].map(lambda i: codes[i]),
            "SHIPPEDQTY": as_text(shipments["shipped_quantity"]),
            "GOODSISSUEDATE": sap_date(shipped),
            "PLANT": shipments["plant"],
            "CHANGEDAT": sap_date(shipped),
            EXPORT: shipped,
        }
    )
    return ExportObject("erp", "deliveries", frame, ("DELIVERYID",))


def _inventory(company: Company, rng: np.random.Generator) -> ExportObject:
    stock = company.fulfilment.inventory
    codes = np.array([p.product_id for p in company.products])
    frame = pd.DataFrame(
        {
            "STOCKDATE": sap_date(stock["snapshot_date"]),
            "PRODUCTID": codes[stock["product"].to_numpy()],
            "PLANT": stock["plant"],
            "UNRESTRICTEDSTOCK": as_text(stock["on_hand"]),
            EXPORT: stock["snapshot_date"].to_numpy().astype("datetime64[D]"),
        }
    )
    return ExportObject("erp", "inventory", frame, ("STOCKDATE", "PRODUCTID", "PLANT"), redelivered=False)


def _capacity(company: Company, rng: np.random.Generator) -> ExportObject:
    """On the first day of every month (and the first export day), the plan for the next six months, revised."""
    plan = company.fulfilment.capacity
    export_days = sorted({company.start} | {d.date() for d in pd.date_range(company.start, company.end, freq="MS")})
    frames = []
    for exported in export_days:
        first = pd.Timestamp(exported).to_period("M").to_timestamp()
        window = plan[(plan["month"] >= first) & (plan["month"] < first + pd.DateOffset(months=PLANNING_MONTHS))]
        revised = np.round(window["capacity_units"].to_numpy() * rng.normal(1, 0.02, len(window))).astype(int)
        frames.append(
            pd.DataFrame(
                {
                    "PERIODSTART": sap_date(window["month"]),
                    "PRODUCTFAMILY": window["family"].map(lambda f: FAMILIES[f].name).to_numpy(),
                    "CAPACITYQTY": np.maximum(revised, 0).astype(str),
                    "CHANGEDAT": exported.strftime("%Y%m%d"),
                    EXPORT: np.datetime64(exported, "D"),
                }
            )
        )
    return ExportObject("erp", "capacity", pd.concat(frames, ignore_index=True), ("PERIODSTART", "PRODUCTFAMILY"), redelivered=False)


# --- Feedback (survey tool JSON lines, review and Zendesk-style ticket CSVs) -----------------------


def _contact_email(company: Company) -> dict[int, str]:
    return {c.index: f"buyer@{c.domain}" for c in company.customers}


def _survey_responses(company: Company, rng: np.random.Generator) -> ExportObject:
    surveys = company.feedback.surveys
    customers = {c.index: c.customer_id for c in company.customers}
    emails = _contact_email(company)
    frame = pd.DataFrame(
        {
            "responseId": surveys["response_id"],
            "surveyType": surveys["survey_type"],
            "customerId": surveys["customer"].map(customers),
            "orderId": surveys["order_id"],
            "score": surveys["score"].astype(int),
            "comment": surveys["comment"],
            "respondentEmail": np.where(rng.random(len(surveys)) < 0.7, surveys["customer"].map(emails), None),
            "submittedAt": pd.to_datetime(surveys["submitted_at"]).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            EXPORT: surveys["submitted_at"].to_numpy().astype("datetime64[D]"),
        }
    )
    return ExportObject("feedback", "survey_responses", frame, ("responseId",), jsonl=True)


def _reviews(company: Company, rng: np.random.Generator) -> ExportObject:
    reviews = company.feedback.reviews
    customers = {c.index: c.customer_id for c in company.customers}
    codes = [p.product_id for p in company.products]
    frame = pd.DataFrame(
        {
            "Review ID": reviews["review_id"],
            "Product SKU": reviews["product"].map(lambda i: codes[i]),
            "Customer ID": reviews["customer"].map(lambda i: None if i is None or pd.isna(i) else customers[int(i)]),
            "Rating": as_text(reviews["rating"]),
            "Title": reviews["rating"].map(lambda r: REVIEW_TEXT[r][0]),
            "Review Text": reviews["rating"].map(lambda r: REVIEW_TEXT[r][1]),
            "Created At": plain_timestamp(reviews["created_at"]),
            EXPORT: reviews["created_at"].to_numpy().astype("datetime64[D]"),
        }
    )
    return ExportObject("feedback", "reviews", frame, ("Review ID",))


def _tickets(company: Company, rng: np.random.Generator) -> ExportObject:
    """Each ticket when opened (status new) and again when solved."""
    tickets = company.feedback.tickets
    customers = {c.index: c.customer_id for c in company.customers}
    emails = _contact_email(company)
    subject = tickets["kind"].map(lambda k: TICKET_KINDS[k][0])
    description = [
        TICKET_KINDS[k][2].format(order=o, promised=pd.Timestamp(p).date()) for k, o, p in zip(tickets["kind"], tickets["order_id"], tickets["promised"], strict=True)
    ]
    opened = pd.DataFrame(
        {
            "Id": tickets["ticket_id"],
            "Organization external ID": tickets["customer"].map(customers),
            "Order ID": tickets["order_id"],
            "Requester email": tickets["customer"].map(emails),
            "Subject": subject,
            "Description": description,
            "Type": tickets["kind"].map(lambda k: TICKET_KINDS[k][1]),
            "Priority": tickets["priority"],
            "Status": "new",
            "Via": tickets["channel"],
            "Created at": plain_timestamp(tickets["created_at"]),
            "Updated at": plain_timestamp(tickets["created_at"]),
            "Solved at": None,
            EXPORT: tickets["created_at"].to_numpy().astype("datetime64[D]"),
        }
    )
    solved = opened.copy()
    solved["Status"] = "solved"
    solved["Updated at"] = plain_timestamp(tickets["solved_at"])
    solved["Solved at"] = solved["Updated at"]
    solved[EXPORT] = tickets["solved_at"].to_numpy().astype("datetime64[D]")
    return ExportObject("feedback", "tickets", pd.concat([opened, solved], ignore_index=True), ("Id",))
