"""The tables ingestion keeps beside the raw data: the load manifest and the rejected rows."""

from __future__ import annotations

import duckdb

RAW_SCHEMA = "raw"
MANIFEST_TABLE = "_load_manifest"
REJECTS_TABLE = "_rejected_rows"

_DDL = (
    f"create schema if not exists {RAW_SCHEMA}",
    f"""
    create table if not exists {RAW_SCHEMA}.{MANIFEST_TABLE} (
        load_id varchar not null,          -- one id per call of load_export_days
        source varchar not null,
        object varchar not null,
        export_date date not null,
        source_file varchar not null,
        sha256 varchar,
        size_bytes bigint,
        status varchar not null,           -- loaded | rejected_file | duplicate | in_progress | deferred | superseded
        reason varchar,                    -- why a file was not loaded as it is
        rows_read bigint not null,
        rows_loaded bigint not null,
        rows_rejected bigint not null,
        loaded_at timestamp not null
    )
    """,
    f"""
    create table if not exists {RAW_SCHEMA}.{REJECTS_TABLE} (
        load_id varchar not null,
        source varchar not null,
        object varchar not null,
        export_date date not null,
        source_file varchar not null,
        record_number bigint,              -- the record's number in its file, from 1
        line_number bigint,                -- the physical line where the record starts
        reason varchar not null,           -- column, expectation and offending value
        raw_record varchar,                -- the record as read (JSON text)
        rejected_at timestamp not null
    )
    """,
)


# Columns added after the first release: added to existing tables in place, never removed.
_ADDED_COLUMNS = (
    (MANIFEST_TABLE, "rows_duplicate", "bigint default 0"),  # loaded records that repeat a record already loaded
    (MANIFEST_TABLE, "rows_key_conflict", "bigint default 0"),  # loaded records whose key and version another file has with other values
    (MANIFEST_TABLE, "duplicate_of", "varchar"),  # for status duplicate: the file with the same content
    (MANIFEST_TABLE, "notes", "varchar"),  # warnings: encoding read, schema drift, kept rule warnings
    (REJECTS_TABLE, "column_names", "varchar"),  # canonical columns that broke the spec, comma-separated
)


def bookkeeping_statements() -> list[str]:
    """The statements creating the bookkeeping tables with every column (plain SQL: DuckDB and PostgreSQL)."""
    added = [f"alter table {RAW_SCHEMA}.{table} add column if not exists {column} {definition}" for table, column, definition in _ADDED_COLUMNS]
    return [*_DDL, *added]


def ensure_bookkeeping(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, the manifest and the rejects table when missing; add newer columns."""
    newest = {table: [c for t, c, _ in _ADDED_COLUMNS if t == table] for table in (MANIFEST_TABLE, REJECTS_TABLE)}
    try:  # the usual case, checked cheaply: both tables exist with every column
        for table, columns in newest.items():
            conn.execute(f"select {', '.join(columns)} from {RAW_SCHEMA}.{table} limit 0")
        return
    except (duckdb.CatalogException, duckdb.BinderException):
        pass
    for statement in bookkeeping_statements():
        conn.execute(statement)
