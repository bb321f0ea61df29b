"""The SAP catalog specs on real SAP data: the "Bikes Sales" sample export loads with no record lost.

The data comes from ../shared/datasets/sap_bikes (Apache-2.0), copied into the test's landing
folder (ingestion refuses links leading outside it). Expected counts and sums are computed here from the files
with Python's csv module, independently of DuckDB.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.ingest import load_export_days
from orchestration.ingest.specs import load_catalog
from tests.conftest import SAP_BIKES
from tests.ingest.helpers import land_exports

pytestmark = pytest.mark.skipif(
    not (SAP_BIKES / "SalesOrders.csv").is_file(),
    reason=f"the SAP Bikes Sales sample export is not at {SAP_BIKES} (shared dataset, not part of the repository)",
)

EXPORT_DAY = date(2019, 7, 1)
FILES = {
    "sales_orders": "SalesOrders.csv",
    "sales_order_items": "SalesOrderItems.csv",
    "business_partners": "BusinessPartners.csv",
    "products": "Products.csv",
    "employees": "Employees.csv",
    "addresses": "Addresses.csv",
    "product_texts": "ProductTexts.csv",
    "product_categories": "ProductCategories.csv",
    "product_category_texts": "ProductCategoryText.csv",
}


def records(name: str, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    with (SAP_BIKES / name).open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def sap(tmp_path_factory):
    """Every SAP catalog spec loaded from copies of the shared files into one warehouse."""
    import duckdb

    home = tmp_path_factory.mktemp("sap_bikes")
    landing = home / "landing"
    land_exports(landing, "sap", EXPORT_DAY, {obj: SAP_BIKES / name for obj, name in FILES.items()})
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    specs = {spec.object: spec for spec in load_catalog("sap")}
    results = {obj: load_export_days(conn, spec, landing, EXPORT_DAY, EXPORT_DAY, home / "quarantine") for obj, spec in specs.items()}
    yield conn, results
    conn.close()


def test_the_catalog_has_a_spec_for_every_file(sap) -> None:
    assert sorted(spec.object for spec in load_catalog("sap")) == sorted(FILES)


@pytest.mark.parametrize("obj", sorted(FILES))
def test_every_record_of_every_file_is_loaded(sap, obj: str) -> None:
    conn, results = sap
    expected = len(records(FILES[obj], "latin-1" if obj == "employees" else "utf-8-sig"))
    (file,) = results[obj].files
    assert (file.status, file.rows_read, file.rows_loaded, file.rows_rejected) == ("loaded", expected, expected, 0)
    assert conn.execute(f"select count(*) from raw.sap__{obj}").fetchone() == (expected,)
    assert conn.execute("select count(*) from raw._rejected_rows where object = ?", [obj]).fetchone() == (0,)


def test_order_amounts_and_item_quantities_match_the_files(sap) -> None:
    conn, _ = sap
    orders = records("SalesOrders.csv")
    items = records("SalesOrderItems.csv")
    net = sum(Decimal(o["NETAMOUNT"]) for o in orders)
    gross = sum(Decimal(o["GROSSAMOUNT"]) for o in orders)
    quantity = sum(int(i["QUANTITY"]) for i in items)
    assert conn.execute("select sum(net_amount), sum(gross_amount) from raw.sap__sales_orders").fetchone() == (net, gross)
    assert conn.execute("select sum(quantity), sum(net_amount) from raw.sap__sales_order_items").fetchone() == (
        quantity, sum(Decimal(i["NETAMOUNT"]) for i in items)
    )
    first = orders[0]
    assert conn.execute(
        "select created_on, changed_on, partner_id, lifecycle_status from raw.sap__sales_orders where sales_order_id = ?",
        [first["SALESORDERID"]],
    ).fetchone() == (
        date(int(first["CREATEDAT"][:4]), int(first["CREATEDAT"][4:6]), int(first["CREATEDAT"][6:])),
        date(int(first["CHANGEDAT"][:4]), int(first["CHANGEDAT"][4:6]), int(first["CHANGEDAT"][6:])),
        first["PARTNERID"],
        first["LIFECYCLESTATUS"],
    )


def test_latin1_names_far_future_dates_and_unnamed_columns_of_the_employees_file(sap) -> None:
    conn, results = sap
    names = {f"{e['NAME_FIRST']} {e['NAME_LAST']}" for e in records("Employees.csv", "latin-1")}
    assert {f"{a} {b}" for a, b in conn.execute("select first_name, last_name from raw.sap__employees").fetchall()} == names
    assert "Pénélope Duperré" in names
    assert conn.execute("select distinct valid_to from raw.sap__employees").fetchall() == [(date(9999, 12, 31),)]
    assert results["employees"].files[0].notes == [
        '6 column(s) not in the spec, not loaded: "(unnamed column 14)", "(unnamed column 15)", "(unnamed column 16)", '
        '"(unnamed column 17)", "(unnamed column 18)", "(unnamed column 19)"'
    ]


def test_the_addresses_file_with_a_byte_order_mark(sap) -> None:
    conn, results = sap
    addresses = records("Addresses.csv")
    assert conn.execute("select count(distinct address_id) from raw.sap__addresses").fetchone() == (len(addresses),)
    assert conn.execute("select street from raw.sap__addresses where address_id = ?", [addresses[0]["ADDRESSID"]]).fetchone() == (
        addresses[0]["STREET"],
    )
    assert results["addresses"].files[0].notes == []


def test_lineage_points_at_the_landed_files(sap) -> None:
    conn, results = sap
    (file,) = results["sales_orders"].files
    assert Path(file.source_file).name == "SalesOrders.csv"
    assert conn.execute("select distinct _source_file, _export_date from raw.sap__sales_orders").fetchall() == [
        (file.source_file, EXPORT_DAY)
    ]
