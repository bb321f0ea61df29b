"""The SAP ERP mapping on real SAP data: the "Bikes Sales" export reaches the marts and the KPI tables.

``orchestration/source_specs_catalog/sap_erp/erp/*.yaml`` maps SAP's EPM exports onto the platform's
canonical ERP raw tables (raw.erp__sales_orders, sales_order_lines, customers, products), so the
unchanged dbt project builds the marts from them. This test loads the shared SAP Bikes sample
(../shared/datasets/sap_bikes, Apache-2.0; copied into the landing folder) with
those specs, creates every other raw table the dbt project reads (CRM, feedback, ERP deliveries,
inventory and capacity) empty by loading the demo specs over a landing without their files, runs one
``dbt build`` into a temporary warehouse and compares the marts with numbers computed here from the
CSV files with Python's csv module, independently of DuckDB and dbt.

The build runs every dbt model and data test but the models that read the forecast tables (tag
after_ml: no ML step runs here) and unit tests (which hold their own fixtures), and must pass them all. The SAP data breaks one platform rule on the way in: every order line
needs a promised date, and SAP writes the placeholder 29991212 as the delivery date of the 22 items
of the 3 cancelled orders. The mapping rejects those items with their reason (kept in
raw._rejected_rows), so the expected numbers below leave them out; their order headers still load.
Runtime: about 75 s on two slow cores, nearly all of it dbt.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import pytest

from orchestration.ingest import load_export_days
from orchestration.ingest.specs import CATALOG_DIR, SPECS_DIR, load_specs
from tests.conftest import SAP_BIKES
from tests.dbt_build import dbt_build
from tests.ingest.helpers import land_exports

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (SAP_BIKES / "SalesOrders.csv").is_file(),
        reason=f"the SAP Bikes Sales sample export is not at {SAP_BIKES} (shared dataset, not part of the repository)",
    ),
]

EXPORT_DAY = date(2019, 7, 1)
SAP_ERP_SPECS = CATALOG_DIR / "sap_erp"
FILES = {
    "sales_orders": "SalesOrders.csv",
    "sales_order_lines": "SalesOrderItems.csv",
    "customers": "BusinessPartners.csv",
    "products": "Products.csv",
}
NO_DATE = "29991212"  # SAP's "no date" placeholder: the delivery date of cancelled orders' items


def records(name: str) -> list[dict[str, str]]:
    with (SAP_BIKES / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def kept_items() -> list[dict[str, str]]:
    """The SalesOrderItems records the mapping loads: all but those without a delivery date."""
    return [item for item in records("SalesOrderItems.csv") if item["DELIVERYDATE"] != NO_DATE]


def day(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def month(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), 1)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """A warehouse built by one dbt build from the SAP Bikes export; yields a read-only connection."""
    import duckdb

    home = tmp_path_factory.mktemp("sap_bikes_marts")
    landing = home / "landing"
    land_exports(landing, "erp", EXPORT_DAY, {obj: SAP_BIKES / name for obj, name in FILES.items()})
    sap_specs = load_specs(SAP_ERP_SPECS)
    assert sorted(spec.object for spec in sap_specs) == sorted(FILES)
    mapped = {spec.table_name for spec in sap_specs}
    others = [spec for spec in load_specs(SPECS_DIR) if spec.table_name not in mapped]
    conn = duckdb.connect(str(home / "warehouse.duckdb"))
    conn.execute("set TimeZone = 'UTC'")
    loads = {spec.object: load_export_days(conn, spec, landing, EXPORT_DAY, EXPORT_DAY, home / "quarantine") for spec in sap_specs}
    for spec in others:  # no files: the raw table is created empty, so every dbt source resolves
        assert load_export_days(conn, spec, landing, EXPORT_DAY, EXPORT_DAY).files == []
    conn.close()

    # every model but those reading the forecasts' tables (no ML step here), unit tests excluded
    results = dbt_build(home, "--exclude-resource-type", "unit_test", "--exclude", "tag:after_ml")

    conn = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    yield conn, loads, results
    conn.close()


def test_every_sap_record_loads_into_the_canonical_erp_tables(warehouse) -> None:
    conn, loads, _ = warehouse
    for obj, name in FILES.items():
        (file,) = loads[obj].files
        expected = len(records(name))
        rejected = 22 if obj == "sales_order_lines" else 0
        assert (file.status, file.rows_read, file.rows_loaded, file.rows_rejected) == (
            "loaded", expected, expected - rejected, rejected
        ), obj
        assert conn.execute(f"select count(*) from raw.erp__{obj}").fetchone() == (expected - rejected,)
    # canonical columns SAP's EPM exports do not have load empty (region: the spec's default), and say so
    assert loads["customers"].files[0].notes == [
        'optional column(s) missing, loaded as empty: "TAXID" (for tax_id), "STREET" (for street), "CITY" (for city), '
        '"POSTALCODE" (for postal_code), "COUNTRY" (for country)',
        "column(s) missing, loaded as the spec's default: \"REGION\" (for region = 'Unassigned')",
        '6 column(s) not in the spec, not loaded: "PARTNERROLE", "FAXNUMBER", "ADDRESSID", "CREATEDBY", "CHANGEDBY", "CURRENCY"',
    ]


def test_items_of_cancelled_orders_are_rejected_for_their_placeholder_delivery_date(warehouse) -> None:
    conn, _, _ = warehouse
    orders = {o["SALESORDERID"]: o for o in records("SalesOrders.csv")}
    items = records("SalesOrderItems.csv")
    placeholders = [(number, item) for number, item in enumerate(items, start=1) if item["DELIVERYDATE"] == NO_DATE]
    assert len(placeholders) == 22
    assert {(item["SALESORDERID"], orders[item["SALESORDERID"]]["LIFECYCLESTATUS"]) for _, item in placeholders} == {
        ("0500000112", "X"), ("0500000164", "X"), ("0500000308", "X")
    }
    assert conn.execute(
        "select record_number, line_number, reason from raw._rejected_rows where object = 'sales_order_lines' order by record_number"
    ).fetchall() == [
        (number, number + 1,
         'column "promised_date" (export column "DELIVERYDATE"): expected a date of at most 2100-12-31, got \'29991212\'')
        for number, _ in placeholders
    ]
    # the headers of the cancelled orders load; they have no lines
    assert conn.execute(
        "select count(*) from staging.stg_erp__sales_orders where order_status = 'X'"
    ).fetchone() == (3,)


def test_the_build_ran_every_model_and_data_test(warehouse) -> None:
    _, _, results = warehouse
    kinds = Counter(r["unique_id"].split(".")[0] for r in results)
    assert kinds["model"] >= 30 and kinds["test"] >= 200
    assert {r["status"] for r in results} == {"success", "pass", "no-op"}  # no-op: the exposures


def test_orders_and_lines_reach_fct_order_lines(warehouse) -> None:
    conn, _, _ = warehouse
    orders = {o["SALESORDERID"]: o for o in records("SalesOrders.csv")}
    items = kept_items()
    assert (len(orders), len({i["SALESORDERID"] for i in items}), len(items)) == (334, 331, 1908)
    assert conn.execute(
        "select count(distinct order_id), count(*), sum(quantity), sum(net_amount) from marts.fct_order_lines"
    ).fetchone() == (
        331, 1908, sum(int(i["QUANTITY"]) for i in items), sum(Decimal(i["NETAMOUNT"]) for i in items)
    )
    expected = {
        (i["SALESORDERID"], int(i["SALESORDERITEM"]), i["PRODUCTID"], int(i["QUANTITY"]), Decimal(i["NETAMOUNT"]),
         orders[i["SALESORDERID"]]["PARTNERID"], day(orders[i["SALESORDERID"]]["CREATEDAT"]), day(i["DELIVERYDATE"]))
        for i in items
    }
    assert set(conn.execute(
        "select order_id, line_number, product_id, quantity, net_amount, customer_id, order_date, promised_date "
        "from marts.fct_order_lines"
    ).fetchall()) == expected


def test_customers_reach_dim_customer(warehouse) -> None:
    conn, _, _ = warehouse
    partners = {p["PARTNERID"]: p for p in records("BusinessPartners.csv")}
    with_lines = {i["SALESORDERID"] for i in kept_items()}
    ordering = {o["PARTNERID"] for o in records("SalesOrders.csv") if o["SALESORDERID"] in with_lines}
    assert (len(partners), len(ordering)) == (40, 40)
    assert conn.execute("select count(*) from marts.dim_customer").fetchone() == (len(partners),)
    assert set(conn.execute(
        "select customer_id, customer_name, legal_form, region from marts.dim_customer "
        "where customer_id in (select customer_id from marts.fct_order_lines)"
    ).fetchall()) == {(p, partners[p]["COMPANYNAME"], partners[p]["LEGALFORM"] or None, "Unassigned") for p in ordering}


def test_products_reach_dim_product(warehouse) -> None:
    conn, _, _ = warehouse
    products = records("Products.csv")
    ordered = {i["PRODUCTID"] for i in kept_items()}
    assert (len(products), len(ordered), len({p["PRODCATEGORYID"] for p in products})) == (42, 42, 9)
    assert set(conn.execute("select product_id, product_family, list_price from marts.dim_product").fetchall()) == {
        (p["PRODUCTID"], p["PRODCATEGORYID"], Decimal(p["PRICE"])) for p in products
    }
    assert conn.execute(
        "select count(distinct product_id) from marts.fct_order_lines where product_id in (select product_id from marts.dim_product)"
    ).fetchone() == (len(ordered),)


def expected_units() -> dict[tuple[date, str], int]:
    """Ordered units per order month (SalesOrders CREATEDAT) and product category (Products PRODCATEGORYID)."""
    order_month = {o["SALESORDERID"]: month(o["CREATEDAT"]) for o in records("SalesOrders.csv")}
    family = {p["PRODUCTID"]: p["PRODCATEGORYID"] for p in records("Products.csv")}
    units: dict[tuple[date, str], int] = defaultdict(int)
    for item in kept_items():
        units[(order_month[item["SALESORDERID"]], family[item["PRODUCTID"]])] += int(item["QUANTITY"])
    return dict(units)


def test_demand_per_month_reaches_fct_demand_monthly(warehouse) -> None:
    conn, _, _ = warehouse
    units = expected_units()
    months = sorted({m for m, _ in units})
    assert (months[0], months[-1], len(months)) == (date(2018, 1, 1), date(2019, 6, 1), 18)
    per_month = Counter()
    for (m, _), quantity in units.items():
        per_month[m] += quantity
    assert conn.execute(
        "select month, sum(ordered_units) from marts.fct_demand_monthly group by month order by month"
    ).fetchall() == sorted(per_month.items())
    assert conn.execute("select distinct region from marts.fct_demand_monthly").fetchall() == [("Unassigned",)]
    rows = conn.execute("select month, product_family, ordered_units from marts.fct_demand_monthly").fetchall()
    assert len(rows) == 18 * 9
    assert {(m, f): u for m, f, u in rows} == {(m, f): units.get((m, f), 0) for m, f, _ in rows}


def test_demand_per_month_and_family_reaches_kpi_operations_monthly(warehouse) -> None:
    conn, _, _ = warehouse
    units = expected_units()
    rows = conn.execute("select month, product_family, ordered_units from marts.kpi_operations_monthly").fetchall()
    grid = {(m, f): u for m, f, u in rows}
    assert set(units) <= set(grid)
    assert grid == {key: units.get(key, 0) for key in grid}
    assert sum(grid.values()) == sum(int(i["QUANTITY"]) for i in kept_items())


def test_ordering_customers_reach_kpi_customer_monthly(warehouse) -> None:
    """Active customers: those with an order in the month or the 11 before it (kpi_customer_monthly.yml)."""
    conn, _, _ = warehouse
    with_lines = {i["SALESORDERID"] for i in kept_items()}
    order_months: dict[str, set[date]] = defaultdict(set)
    for order in records("SalesOrders.csv"):
        if order["SALESORDERID"] in with_lines:
            order_months[order["PARTNERID"]].add(month(order["CREATEDAT"]))
    rows = conn.execute(
        "select month, region, active_customers from marts.kpi_customer_monthly order by month"
    ).fetchall()
    assert [m for m, _, _ in rows] == sorted({m for months in order_months.values() for m in months})
    assert {region for _, region, _ in rows} == {"Unassigned"}

    def active(m: date) -> int:
        index = m.year * 12 + m.month
        return sum(any(0 <= index - (o.year * 12 + o.month) < 12 for o in months) for months in order_months.values())

    assert [(m, n) for m, _, n in rows] == [(m, active(m)) for m, _, _ in rows]
