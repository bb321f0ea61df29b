"""The floor: the pipeline's work with nothing around it, in one process and one DuckDB connection.

    python -m bench.floor --home DIR --database FILE --artifacts TARGET_DIR [TARGET_DIR ...] [--ml-from WAREHOUSE]

1. Ingestion by bare DuckDB readers: per source spec, one ``create table raw.<table> as select``
   over ``read_csv`` (``read_json`` for JSON lines) of all its files, with the spec's renames and
   the pipeline's own type expressions (orchestration.ingest.sql.typed_expression), and the lineage
   columns; no validation, rejects, manifest or de-duplication.
2. The dbt SQL the pipeline ran: the compiled code of every node in the given dbt target folders
   (run_results.json, one folder per dbt invocation, in the order given), each invocation's nodes
   in dependency order (its manifest.json), as ``create or replace view|table`` for models and
   snapshots and ``select count(*)`` over tests.

The ml.* tables the S&OP models read are copied from the pipeline's warehouse first (``--ml-from``;
a few hundred rows): the floor has no forecasting step, as the issue defines it. Timings go to stdout
as JSON: ``{"ingest_s": ..., "sql_s": ..., "nodes": ..., "failed": [...]}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from orchestration.ingest.files import landing_range
from orchestration.ingest.landing import LocalLanding
from orchestration.ingest.specs import SourceSpec, load_specs
from orchestration.ingest.sql import quote_identifier, quote_literal, stage_column, typed_expression

EXPORT_DAY_PATTERN = r"/([0-9]{4}-[0-9]{2}-[0-9]{2})/[^/]*$"


def ingest_sql(spec: SourceSpec, files: list[str]) -> str:
    """``create table`` of one raw table from its files by a bare DuckDB reader."""
    fmt = spec.format
    file_list = "[" + ", ".join(quote_literal(f) for f in files) + "]"
    if fmt.type == "jsonl":
        columns = "{" + ", ".join(f"{quote_literal(c.source)}: 'VARCHAR'" for c in spec.columns) + "}"
        reader = f"read_json({file_list}, format = 'newline_delimited', columns = {columns}, filename = true)"
    elif fmt.type == "csv":
        reader = (
            f"read_csv({file_list}, header = true, all_varchar = true, delim = {quote_literal(fmt.delimiter)}, "
            f"quote = {quote_literal(fmt.quote)}, union_by_name = true, filename = true)"
        )
    else:
        raise ValueError(f"{spec.path}: the floor reads csv and jsonl exports, not {fmt.type}")
    raw = ", ".join(f"{quote_identifier(c.source)} as {stage_column(c)}" for c in spec.columns)
    typed = ", ".join(f"{typed_expression(c, fmt)} as {quote_identifier(c.name)}" for c in spec.columns)
    return (
        f"create or replace table raw.{quote_identifier(spec.table_name)} as "
        f"select {typed}, cast(regexp_extract(filename, {quote_literal(EXPORT_DAY_PATTERN)}, 1) as date) as _export_date, "
        f"filename as _source_file, localtimestamp as _loaded_at "
        f"from (select {raw}, filename from {reader})"
    )


def invocation_nodes(target: Path) -> list[dict]:
    """The nodes one dbt invocation ran, with their compiled code, in dependency order."""
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
    results = {r["unique_id"]: r for r in json.loads((target / "run_results.json").read_text())["results"] if r["unique_id"] in nodes}
    graph = {uid: [d for d in nodes[uid].get("depends_on", {}).get("nodes", []) if d in results] for uid in results}
    ordered = []
    for uid in TopologicalSorter(graph).static_order():
        node = nodes[uid]
        ordered.append(
            {
                "unique_id": uid,
                "resource_type": node["resource_type"],
                "materialized": node.get("config", {}).get("materialized"),
                "relation": results[uid].get("relation_name"),
                "schema": node.get("schema"),
                "database": node.get("database"),
                "code": results[uid].get("compiled_code") or "",
            }
        )
    return ordered


def node_sql(node: dict) -> str | None:
    """The statement that does a node's work directly; None for a node with nothing to run."""
    code = node["code"].strip().rstrip(";")
    if not code:
        return None
    kind = node["resource_type"]
    if kind in ("test", "unit_test"):
        return f"select count(*) from ({code}) as _test"
    if kind == "snapshot":
        return (
            f"create or replace table {node['relation']} as select *, localtimestamp as dbt_updated_at, "
            f"localtimestamp as dbt_valid_from, cast(null as timestamp) as dbt_valid_to from ({code}) as _snapshot"
        )
    if kind == "model":
        what = "view" if node["materialized"] == "view" else "table"
        return f"create or replace {what} {node['relation']} as {code}"
    return None


def run_floor(home: Path, database: Path, targets: list[Path], ml_from: Path | None) -> dict:
    conn = duckdb.connect(str(database))
    conn.execute("set TimeZone = 'UTC'")
    if ml_from:
        conn.execute(f"attach {quote_literal(str(ml_from))} as pipeline (read_only)")
        conn.execute("create schema if not exists ml")
        for (table,) in conn.execute("select table_name from duckdb_tables() where database_name = 'pipeline' and schema_name = 'ml'").fetchall():
            conn.execute(f"create or replace table ml.{quote_identifier(table)} as select * from pipeline.ml.{quote_identifier(table)}")
        conn.execute("detach pipeline")
    began = time.perf_counter()
    conn.execute("create schema if not exists raw")
    specs = load_specs()
    first, last = landing_range(home / "landing", specs)
    for spec in specs:
        files = [f.location for f in LocalLanding(home / "landing").discover(spec, first, last)]
        if files:
            conn.execute(ingest_sql(spec, files))
    ingested = time.perf_counter()
    nodes, failed = 0, []
    for target in targets:
        for node in invocation_nodes(target):
            statement = node_sql(node)
            if statement is None:
                continue
            if node["schema"]:
                conn.execute(f"create schema if not exists {quote_identifier(node['schema'])}")
            try:
                conn.execute(statement).fetchall()
                nodes += 1
            except duckdb.Error as error:
                failed.append(f"{node['unique_id']}: {str(error).splitlines()[0]}")
    done = time.perf_counter()
    conn.close()
    return {"ingest_s": round(ingested - began, 3), "sql_s": round(done - ingested, 3), "nodes": nodes, "failed": failed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--database", required=True, type=Path)
    parser.add_argument("--artifacts", nargs="+", required=True, type=Path)
    parser.add_argument("--ml-from", type=Path)
    args = parser.parse_args(argv)
    print(json.dumps(run_floor(args.home, args.database, args.artifacts, args.ml_from)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
