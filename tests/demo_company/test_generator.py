"""The demo company: deterministic, coherent across its three systems, and with the behaviour worth analysing.

Everything here reads the written export files with pandas, the way a user would look at them.
"""

from __future__ import annotations

import filecmp
import os
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from demo_company import DemoConfig, exports, generate, simulate
from tests.conftest import E2E_END, E2E_FIRST_EXPORT, E2E_SCALE, E2E_START
from tests.e2e.independent_kpis import latest, read_export

SMALL = DemoConfig(seed=3, scale=0.02, start=date(2024, 3, 1), end=date(2024, 5, 31))


def test_same_settings_write_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    generate(tmp_path / "a", SMALL)
    generate(tmp_path / "b", SMALL)
    generate(tmp_path / "c", DemoConfig(seed=4, scale=SMALL.scale, start=SMALL.start, end=SMALL.end))
    first = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert first == second and len(first) > 100
    assert all(filecmp.cmp(tmp_path / "a" / p, tmp_path / "b" / p, shallow=False) for p in first)
    orders = Path("landing/erp/sales_order_lines/2024-04-02/sales_order_lines.csv")
    assert (tmp_path / "a" / orders).read_text() != (tmp_path / "c" / orders).read_text()


def test_regenerating_removes_files_of_days_no_longer_written(tmp_path: Path) -> None:
    generate(tmp_path, SMALL)
    stale = tmp_path / "landing" / "erp" / "inventory" / "2024-05-31" / "inventory.csv"
    assert stale.exists()
    generate(tmp_path, DemoConfig(seed=SMALL.seed, scale=SMALL.scale, start=SMALL.start, end=date(2024, 5, 30)))
    assert not stale.exists() and not stale.parent.exists()


def test_files_rendered_a_few_records_at_a_time_equal_files_rendered_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path / "whole", SMALL)
    monkeypatch.setattr(exports, "RENDER_ROWS", 7)  # every file of more than 7 records is written in slices
    generate(tmp_path / "sliced", SMALL)
    files = sorted(p.relative_to(tmp_path / "whole") for p in (tmp_path / "whole").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "sliced") for p in (tmp_path / "sliced").rglob("*") if p.is_file())
    assert max(len((tmp_path / "whole" / p).read_text().splitlines()) for p in files) > 700
    assert all(filecmp.cmp(tmp_path / "whole" / p, tmp_path / "sliced" / p, shallow=False) for p in files)


def test_regenerating_rewrites_only_changed_files_and_leaves_no_partial_file(tmp_path: Path) -> None:
    generate(tmp_path, SMALL)
    files = [p for p in (tmp_path / "landing").rglob("*") if p.is_file()]
    for path in files:
        os.utime(path, (1_000_000_000, 1_000_000_000))
    edited = tmp_path / "landing" / "erp" / "sales_orders" / "2024-04-02" / "sales_orders.csv"
    written = edited.read_bytes()
    edited.write_bytes(written.replace(b",N,", b",X,", 1))
    os.utime(edited, (1_000_000_000, 1_000_000_000))
    generate(tmp_path, SMALL)
    assert [p for p in files if p.stat().st_mtime != 1_000_000_000] == [edited]
    assert edited.read_bytes() == written
    assert list((tmp_path / "landing").rglob("*.part")) == []


def test_every_export_day_has_one_folder_per_object(demo_home: Path) -> None:
    inventory_days = sorted(p.name for p in (demo_home / "landing" / "erp" / "inventory").iterdir())
    assert inventory_days[0] == E2E_FIRST_EXPORT.isoformat() and inventory_days[-1] == E2E_END.isoformat()
    assert len(inventory_days) == (E2E_END - E2E_FIRST_EXPORT).days + 1 == 59
    objects = {(p.parent.name, p.name) for p in (demo_home / "landing").glob("*/*")}
    assert len(objects) == 16


def test_the_initial_export_holds_the_latest_version_of_all_history(demo_home: Path) -> None:
    lines = read_export(demo_home / "landing", "erp", "sales_order_lines")
    initial = lines[lines["_export_day"] == E2E_FIRST_EXPORT.isoformat()]
    deliveries = read_export(demo_home / "landing", "erp", "deliveries")
    assert deliveries.loc[deliveries["_export_day"] == E2E_FIRST_EXPORT.isoformat(), "GOODSISSUEDATE"].min() < "20240201"
    before = initial[initial["CHANGEDAT"] < E2E_FIRST_EXPORT.strftime("%Y%m%d")]  # (the rest changed on that day)
    assert len(before) > 1000 and not before.duplicated(["SALESORDERID", "SALESORDERITEM"]).any()  # one version per line
    everything = simulate(DemoConfig(seed=7, scale=E2E_SCALE, start=E2E_START, end=E2E_END)).fulfilment.lines
    shipped_before = everything[everything["final_ship_date"] < pd.Timestamp(E2E_FIRST_EXPORT)]
    assert (before["ITEMSTATUS"] == "C").sum() == len(shipped_before)  # shipped lines arrive in their final state


def test_daily_exports_start_the_month_before_the_last_export_days_month() -> None:
    assert DemoConfig(end=date(2026, 11, 24)).export_window() == (date(2026, 10, 1), date(2026, 11, 24))
    assert DemoConfig(end=date(2026, 1, 5)).window() == (date(2023, 1, 1), date(2026, 1, 5))
    assert DemoConfig(end=date(2026, 1, 5)).export_window() == (date(2025, 12, 1), date(2026, 1, 5))
    assert DemoConfig(start=date(2026, 1, 3), end=date(2026, 1, 5)).export_window() == (date(2026, 1, 3), date(2026, 1, 5))
    every_day = DemoConfig(start=date(2025, 1, 1), first_export=date(2025, 1, 1), end=date(2025, 6, 30))
    assert every_day.export_window() == (date(2025, 1, 1), date(2025, 6, 30))


def test_the_three_systems_describe_the_same_company(demo_home: Path) -> None:
    landing = demo_home / "landing"
    lines = latest(read_export(landing, "erp", "sales_order_lines"), ["SALESORDERID", "SALESORDERITEM"], "CHANGEDAT")
    orders = latest(read_export(landing, "erp", "sales_orders"), ["SALESORDERID"], "CHANGEDAT")
    products = latest(read_export(landing, "erp", "products"), ["PRODUCTID"], "CHANGEDAT")
    customers = latest(read_export(landing, "erp", "customers"), ["CUSTOMERID"], "CHANGEDAT")
    deliveries = latest(read_export(landing, "erp", "deliveries"), ["DELIVERYID"], "CHANGEDAT")
    opportunities = latest(read_export(landing, "crm", "opportunities"), ["Id"], "LastModifiedDate")
    users = read_export(landing, "crm", "users")
    surveys = read_export(landing, "feedback", "survey_responses")
    assert set(lines["SALESORDERID"]) == set(orders["SALESORDERID"])
    assert set(lines["PRODUCTID"]) <= set(products["PRODUCTID"])
    assert set(orders["PARTNERID"]) <= set(customers["CUSTOMERID"])
    assert set(surveys["customerId"]) <= set(customers["CUSTOMERID"])
    assert set(opportunities["OwnerId"]) <= set(users["Id"])
    shipped = deliveries.assign(q=deliveries["SHIPPEDQTY"].astype(int)).groupby(["SALESORDERID", "SALESORDERITEM"])["q"].sum()
    ordered = lines.set_index(["SALESORDERID", "SALESORDERITEM"])["QUANTITY"].astype(int)
    assert (shipped <= ordered.reindex(shipped.index)).all()
    # every won deal became exactly one ERP order on its close date, referencing it
    won = opportunities[opportunities["StageName"] == "Closed Won"]
    linked = orders.dropna(subset=["EXTERNALREF"]).set_index("EXTERNALREF")
    assert len(won) > 50 and set(won["Id"]) == set(linked.index)
    close_dates = won.set_index("Id")["CloseDate"].str.replace("-", "")
    assert (linked.loc[close_dates.index, "ORDERDATE"] == close_dates).all()


def test_late_deliveries_cluster_in_peak_months_and_hurt_nps() -> None:
    company = simulate(DemoConfig(seed=11, scale=0.5, start=date(2023, 1, 1), end=date(2025, 12, 31)))
    lines = company.fulfilment.lines
    month = pd.to_datetime(lines["promised_date"]).dt.month
    late_peak, late_winter = lines.loc[month.isin([4, 5, 6]), "late"].mean(), lines.loc[month.isin([11, 12, 1]), "late"].mean()
    assert late_peak > 2 * late_winter
    surveys = company.feedback.surveys
    nps = surveys[surveys["survey_type"] == "NPS"].merge(
        lines.groupby("order_id")["late"].any().rename("any_late"), left_on="order_id", right_index=True
    )
    assert nps.loc[nps["any_late"], "score"].mean() < nps.loc[~nps["any_late"], "score"].mean() - 2
    units = lines.assign(month=pd.to_datetime(lines["order_date"]).dt.month).groupby("month")["quantity"].sum()
    assert units[5] > 1.3 * units[11]  # spring season


def test_scale_one_is_about_a_hundred_thousand_order_lines_over_three_years() -> None:
    company = simulate(DemoConfig(seed=42, scale=1.0, start=date(2023, 1, 1), end=date(2025, 12, 31)))
    lines = company.sales.lines
    in_range = (lines["order_date"] <= pd.Timestamp("2025-12-31")).sum()
    assert 90_000 <= in_range <= 115_000


def test_some_records_are_delivered_twice_unchanged(demo_home: Path) -> None:
    lines = read_export(demo_home / "landing", "erp", "sales_order_lines")
    columns = [c for c in lines.columns if c != "_export_day"]
    repeated = lines[lines.duplicated(columns, keep=False)]
    assert len(repeated) > 0
    assert (repeated.groupby(columns, dropna=False)["_export_day"].nunique() == 2).all()


def test_a_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="scale must be positive"):
        DemoConfig(scale=0)
    with pytest.raises(ValueError, match="is after end"):
        DemoConfig(start=date(2025, 1, 2), end=date(2025, 1, 1))
    with pytest.raises(ValueError, match="first export day 2024-12-31 is outside 2025-01-01 .. 2025-02-01"):
        DemoConfig(start=date(2025, 1, 1), end=date(2025, 2, 1), first_export=date(2024, 12, 31))
