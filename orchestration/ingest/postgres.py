"""Ingestion into PostgreSQL: DuckDB reads and validates the export files, PostgreSQL receives the rows.

The loader (:func:`load_export_days`) works on an in-memory DuckDB that mirrors what it consults in
PostgreSQL (the spec's raw table, and its manifest and rejects entries), exactly as it works on
the DuckDB warehouse. What that load changed (the rows of its export days, its rejects, its
manifest entries) is then copied into PostgreSQL with COPY, in one transaction: a load lands whole
or not at all, and re-loading the same days replaces them, as on DuckDB. An advisory lock keeps two
loads of one raw table from interleaving.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb

from orchestration.ingest.bookkeeping import MANIFEST_TABLE, RAW_SCHEMA, REJECTS_TABLE, bookkeeping_statements, ensure_bookkeeping
from orchestration.ingest.loader import LoadResult, load_export_days
from orchestration.ingest.specs import SourceSpec
from orchestration.ingest.sql import quote_identifier, quote_literal, raw_table_ddl
from orchestration.postgres import copy_duckdb_to_postgres, copy_postgres_to_duckdb, duckdb_columns, postgres_type


@contextmanager
def load_export_days_into_postgres(
    pg, spec: SourceSpec, landing: Path | str, start: date, end: date, quarantine: Path | str | None = None,
    memory_limit_mb: int | None = None,
) -> Iterator[tuple[LoadResult, duckdb.DuckDBPyConnection]]:
    """Load export days [start, end] of ``spec`` into PostgreSQL; yields the result and the DuckDB mirror
    (which then holds the raw table as PostgreSQL has it after the load) for reading back. With
    ``memory_limit_mb`` the mirror spills to a temporary folder beyond that much memory."""
    table = f"{RAW_SCHEMA}.{quote_identifier(spec.table_name)}"
    duck = duckdb.connect()
    spill = tempfile.TemporaryDirectory(prefix="salesops-mirror-")
    try:
        duck.execute("set TimeZone = 'UTC'")
        duck.execute(f"set temp_directory = {quote_literal(spill.name)}")
        with pg.cursor() as cursor:

            def publish(result: LoadResult) -> None:  # one transaction: the load lands whole or not at all
                with pg.transaction():
                    _publish(cursor, duck, spec, result)

            cursor.execute("select pg_advisory_lock(hashtext(%s))", [table])
            try:
                ensure_postgres_tables(cursor, spec)
                pg.commit()
                _mirror(cursor, duck, spec)
                pg.commit()
                result = load_export_days(duck, spec, landing, start, end, quarantine, publish=publish, memory_limit_mb=memory_limit_mb)
            finally:
                pg.rollback()
                cursor.execute("select pg_advisory_unlock(hashtext(%s))", [table])
                pg.commit()
        yield result, duck
    finally:
        duck.close()
        spill.cleanup()


def ensure_postgres_tables(cursor, spec: SourceSpec) -> None:
    """The raw schema, the manifest, the rejects table and the spec's raw table, when missing."""
    for statement in bookkeeping_statements():
        cursor.execute(statement)
    columns = tuple(replace(c, type=postgres_type(c.type)) for c in spec.columns)
    cursor.execute(raw_table_ddl(RAW_SCHEMA, spec.table_name, columns))


def _postgres_columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s order by ordinal_position",
        [RAW_SCHEMA, table],
    )
    return [row[0] for row in cursor.fetchall()]


def _mirror(cursor, duck: duckdb.DuckDBPyConnection, spec: SourceSpec) -> None:
    """The in-memory DuckDB gets the spec's raw table and its manifest and rejects entries from PostgreSQL."""
    ensure_bookkeeping(duck)
    duck.execute(raw_table_ddl(RAW_SCHEMA, spec.table_name, spec.columns))
    table = f"{RAW_SCHEMA}.{quote_identifier(spec.table_name)}"
    names = _postgres_columns(cursor, spec.table_name)
    for name in names:  # columns a load added (extra export columns) are text
        duck.execute(f"alter table {table} add column if not exists {quote_identifier(name)} varchar")
    raw_types = duckdb_columns(duck, table)
    _copy_in(cursor, duck, table, {n: raw_types[n] for n in names}, "true")
    of_spec = f"source = {quote_literal(spec.source)} and object = {quote_literal(spec.object)}"
    for bookkeeping in (MANIFEST_TABLE, REJECTS_TABLE):
        relation = f"{RAW_SCHEMA}.{bookkeeping}"
        _copy_in(cursor, duck, relation, duckdb_columns(duck, relation), of_spec)


def _copy_in(cursor, duck: duckdb.DuckDBPyConnection, relation: str, columns: dict[str, str], where: str) -> None:
    copy_postgres_to_duckdb(cursor, f"select {_names(list(columns))} from {relation} where {where}", duck, relation, columns)


def _publish(cursor, duck: duckdb.DuckDBPyConnection, spec: SourceSpec, result: LoadResult) -> None:
    """Replace the load's export days in PostgreSQL with the mirror's rows, and add its rejects and manifest entries."""
    table = f"{RAW_SCHEMA}.{quote_identifier(spec.table_name)}"
    existing = set(_postgres_columns(cursor, spec.table_name))
    columns = list(duckdb_columns(duck, table))
    for name in columns:
        if name not in existing:  # an extra export column this load added
            cursor.execute(f"alter table {table} add column if not exists {quote_identifier(name)} varchar")
    deferred = list(result.deferred_days)
    cursor.execute(
        f"delete from {table} where _export_date between %s and %s and not (_export_date = any(%s))",
        [result.start, result.end, deferred],
    )
    copy_duckdb_to_postgres(duck, f"select {_names(columns)} from {table} where {_in_window(result)}", cursor, table, columns)
    cursor.execute(
        f"delete from {RAW_SCHEMA}.{REJECTS_TABLE} where source = %s and object = %s "
        "and export_date between %s and %s and not (export_date = any(%s))",
        [spec.source, spec.object, result.start, result.end, deferred],
    )
    for bookkeeping in (REJECTS_TABLE, MANIFEST_TABLE):
        relation = f"{RAW_SCHEMA}.{bookkeeping}"
        names = list(duckdb_columns(duck, relation))
        query = f"select {_names(names)} from {relation} where load_id = {quote_literal(result.load_id)}"
        copy_duckdb_to_postgres(duck, query, cursor, relation, names)


def _names(columns: list[str]) -> str:
    return ", ".join(quote_identifier(c) for c in columns)


def _in_window(result: LoadResult) -> str:
    """DuckDB condition: the export day is one this load replaced (in its range, not deferred)."""
    condition = f"_export_date between date {quote_literal(str(result.start))} and date {quote_literal(str(result.end))}"
    if result.deferred_days:
        condition += " and _export_date not in (" + ", ".join(f"date {quote_literal(str(d))}" for d in result.deferred_days) + ")"
    return condition
