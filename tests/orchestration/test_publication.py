"""Publication to bi.duckdb on small real DuckDB files, and the publish asset in a real Dagster run."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.assets.publish import PUBLISH_KEY, build_publish_asset
from orchestration.publication import PublicationError, publish_bi_schema
from orchestration.resources import SalesopsHome
from orchestration.settings import salesops_paths
from orchestration.warehouse import warehouse_connection
from tests.reliability.support import sha256

BUILD_DDL = """
    create schema raw; create schema marts; create schema bi;
    create table raw.crm__contacts (contact_id varchar, email varchar);
    insert into raw.crm__contacts values ('c1', 'ada@example.com');
    create table raw._load_manifest (export_date date, status varchar);
    insert into raw._load_manifest values ('2025-02-27', 'loaded'), ('2025-02-28', 'loaded'), ('2025-03-01', 'in_progress');
    create table marts.kpi_monthly (month date, region varchar, units bigint, rate double);
    insert into marts.kpi_monthly values ('2025-01-01', 'EMEA', 10, 0.5), ('2025-01-01', 'APAC', 4, 0.25), ('2025-02-01', 'EMEA', 7, 1.0);
    create view bi.kpi_monthly as select month, region, units, rate from marts.kpi_monthly;
    create view bi.kpi_totals as select month, sum(units) as units from marts.kpi_monthly group by month;
"""


def build_warehouse(home: Path) -> Path:
    paths = salesops_paths(home)
    with warehouse_connection(paths.warehouse) as conn:
        conn.execute(BUILD_DDL)
    return paths.warehouse


def published_relations(path: Path) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(
            "select table_schema, table_name, table_type from information_schema.tables order by all"
        ).fetchall()


def test_publishes_the_bi_relations_as_tables_with_their_build_and_nothing_else(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path)
    publication = publish_bi_schema(warehouse, tmp_path / "bi.duckdb", "run-1")
    assert publication.row_counts == {"kpi_monthly": 3, "kpi_totals": 2}
    assert publication.latest_export_day == "2025-02-28"  # the last day loaded, not the one still arriving
    assert publication.size_bytes == (tmp_path / "bi.duckdb").stat().st_size > 0
    assert published_relations(tmp_path / "bi.duckdb") == [
        ("main", "kpi_monthly", "BASE TABLE"),
        ("main", "kpi_totals", "BASE TABLE"),
        ("publication", "build", "BASE TABLE"),
        ("publication", "tables", "BASE TABLE"),
    ]
    with duckdb.connect(str(tmp_path / "bi.duckdb"), read_only=True) as conn:
        # the file is the catalog "bi": queries written for the build's bi schema work unchanged
        assert conn.execute("select month::varchar, units from bi.kpi_totals order by month").fetchall() == [
            ("2025-01-01", 14), ("2025-02-01", 7)
        ]
        assert conn.execute("select region, rate from kpi_monthly order by rate").fetchall() == [("APAC", 0.25), ("EMEA", 0.5), ("EMEA", 1.0)]
        assert conn.execute("select build_id, latest_export_day::varchar, table_count from publication.build").fetchall() == [
            ("run-1", "2025-02-28", 2)
        ]
        assert conn.execute("select * from publication.tables order by 1").fetchall() == [("kpi_monthly", 3), ("kpi_totals", 2)]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".bi.duckdb")] == []


def test_an_open_reader_keeps_its_build_while_the_next_one_replaces_the_file(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path)
    published = tmp_path / "bi.duckdb"
    publish_bi_schema(warehouse, published, "run-1")
    with duckdb.connect(str(published), read_only=True) as reader:  # a BI tool with a connection open
        with warehouse_connection(warehouse) as conn:
            conn.execute("insert into marts.kpi_monthly values ('2025-03-01', 'EMEA', 5, 0.8)")
        publish_bi_schema(warehouse, published, "run-2")  # no lock error: the reader's file is not written
        assert reader.execute("select build_id from publication.build").fetchone() == ("run-1",)
        assert reader.execute("select sum(units) from kpi_monthly").fetchone() == (21,)
    with duckdb.connect(str(published), read_only=True) as reader:  # the next connection: the new build
        assert reader.execute("select build_id from publication.build").fetchone() == ("run-2",)
        assert reader.execute("select sum(units) from kpi_monthly").fetchone() == (26,)


def test_a_build_that_cannot_be_copied_leaves_the_published_file_as_it_was(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path)
    published = tmp_path / "bi.duckdb"
    publish_bi_schema(warehouse, published, "run-1")
    before = sha256(published)
    with warehouse_connection(warehouse) as conn:  # a half-built warehouse: the mart under the bi views is gone
        conn.execute("drop table marts.kpi_monthly")
    with pytest.raises(duckdb.CatalogException, match="kpi_monthly"):
        publish_bi_schema(warehouse, published, "run-2")
    assert sha256(published) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".bi.duckdb")] == []


def test_no_bi_schema_is_an_error_naming_the_warehouse_and_leftovers_of_a_killed_publication_go(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with warehouse_connection(warehouse) as conn:
        conn.execute("create schema marts")
    leftover = tmp_path / ".bi.duckdb.dead-run.publishing"
    leftover.write_bytes(b"half a file")
    with pytest.raises(PublicationError, match=r"warehouse.duckdb: schema 'bi' has no table or view"):
        publish_bi_schema(warehouse, tmp_path / "bi.duckdb", "run-1")
    assert not leftover.exists()
    assert not (tmp_path / "bi.duckdb").exists()


# --- the publish asset in a Dagster run ------------------------------------------------------------

RATES_KEY = dg.AssetKey(["marts", "kpi_monthly"])
BI_KEY = dg.AssetKey(["bi", "kpi_monthly"])


def toy_definitions(home: Path) -> dg.Definitions:
    """A mart with a blocking check, a bi view over it, and the real publish asset downstream."""

    @dg.asset(key=RATES_KEY)
    def kpi_monthly() -> None:
        pass  # the table exists already: the test changes it between runs

    @dg.asset_check(asset=RATES_KEY, name="rates_between_0_and_1", blocking=True)
    def rates_between_0_and_1(salesops: SalesopsHome) -> dg.AssetCheckResult:
        with warehouse_connection(salesops.paths.warehouse, read_only=True) as conn:
            outside = conn.execute("select count(*) from marts.kpi_monthly where rate not between 0 and 1").fetchone()[0]
        return dg.AssetCheckResult(passed=outside == 0, severity=dg.AssetCheckSeverity.ERROR, description=f"{outside} rate(s) outside [0, 1]")

    @dg.asset(key=BI_KEY, deps=[RATES_KEY])
    def bi_kpi_monthly() -> None:
        pass  # the view exists already; the step orders publication after the check

    publish = build_publish_asset([BI_KEY], list(rates_between_0_and_1.check_keys))
    return dg.Definitions(
        assets=[kpi_monthly, bi_kpi_monthly, publish],
        asset_checks=[rates_between_0_and_1],
        jobs=[dg.define_asset_job("build", selection=dg.AssetSelection.all()), dg.define_asset_job("publish_only", selection=[PUBLISH_KEY])],
        resources={"salesops": SalesopsHome(home=str(home))},
        executor=dg.in_process_executor,
    )


def test_the_publish_asset_publishes_a_checked_build_and_a_failed_blocking_check_stops_it(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path)
    published = tmp_path / "bi.duckdb"
    defs = toy_definitions(tmp_path)
    instance = dg.DagsterInstance.ephemeral()

    first = defs.resolve_job_def("build").execute_in_process(instance=instance)
    assert first.success
    metadata = first.asset_materializations_for_node("publish")[0].metadata
    assert metadata["tables_published"].value == 2
    assert metadata["dagster/row_count"].value == 5
    assert metadata["build_run_id"].value == first.run_id
    assert metadata["latest_export_day"].value == "2025-02-28"
    assert metadata["file_size_bytes"].value == published.stat().st_size
    before = sha256(published)

    with warehouse_connection(warehouse) as conn:
        conn.execute("update marts.kpi_monthly set rate = 1.5 where region = 'APAC'")
    failed = defs.resolve_job_def("build").execute_in_process(instance=instance, raise_on_error=False)
    assert not failed.success
    assert [(e.check_name, e.passed) for e in failed.get_asset_check_evaluations()] == [("rates_between_0_and_1", False)]
    assert "publish" not in {e.step_key for e in failed.get_step_success_events()}
    assert failed.asset_materializations_for_node("publish") == []
    assert sha256(published) == before

    alone = defs.resolve_job_def("publish_only").execute_in_process(instance=instance, raise_on_error=False)
    assert not alone.success
    failure = alone.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert failure.description.startswith("Not published: 1 blocking check(s) failed on their latest run;")
    assert f"marts/kpi_monthly rates_between_0_and_1: 1 rate(s) outside [0, 1] (run {failed.run_id})" in failure.description
    assert sha256(published) == before
