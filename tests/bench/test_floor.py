"""The floor's ingestion gives the same typed rows as ours; the statements it runs per dbt node."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bench.floor import ingest_sql, node_sql
from tests.bench.helpers import load_ours
from orchestration.ingest.sql import quote_identifier


@pytest.mark.parametrize("table", ["erp__sales_order_lines", "feedback__survey_responses"])
def test_bare_reader_ingestion_loads_the_rows_our_ingestion_loads(demo_home: Path, tmp_path: Path, table: str) -> None:
    ours = load_ours(demo_home, tmp_path, table)
    spec = ours.spec
    floor = duckdb.connect(str(tmp_path / "floor.duckdb"))
    floor.execute("create schema raw")
    floor.execute(ingest_sql(spec, ours.files))
    floor.execute(f"attach '{ours.warehouse}' as ours (read_only)")
    columns = ", ".join(quote_identifier(c.name) for c in spec.columns) + ", _export_date"
    name = quote_identifier(table)
    ours_rows = floor.execute(f"select count(*) from ours.raw.{name}").fetchone()[0]
    assert ours_rows > 100
    assert floor.execute(f"select count(*) from raw.{name}").fetchone()[0] == ours_rows
    for a, b in (("raw", "ours.raw"), ("ours.raw", "raw")):
        assert floor.execute(f"select count(*) from (select {columns} from {a}.{name} except all select {columns} from {b}.{name})").fetchone()[0] == 0


def test_each_kind_of_dbt_node_becomes_one_direct_statement() -> None:
    node = {"unique_id": "model.salesops.x", "schema": "marts", "relation": '"warehouse"."marts"."x"', "code": "select 1 as a;\n"}
    assert node_sql({**node, "resource_type": "model", "materialized": "view"}) == 'create or replace view "warehouse"."marts"."x" as select 1 as a'
    assert node_sql({**node, "resource_type": "model", "materialized": "incremental"}) == 'create or replace table "warehouse"."marts"."x" as select 1 as a'
    assert node_sql({**node, "resource_type": "test", "materialized": "test"}) == "select count(*) from (select 1 as a) as _test"
    assert node_sql({**node, "resource_type": "model", "materialized": "table", "code": ""}) is None
    conn = duckdb.connect()
    conn.execute("create schema marts")
    snapshot = node_sql({**node, "resource_type": "snapshot", "materialized": "snapshot", "relation": "marts.x"})
    conn.execute(snapshot)
    assert conn.execute("select a, dbt_valid_to from marts.x").fetchall() == [(1, None)]
