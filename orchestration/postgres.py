"""PostgreSQL as the warehouse: connection settings from the environment, and bulk transfer between
DuckDB and PostgreSQL through COPY (CSV), so no bulk data passes row by row through Python.

DuckDB writes CSV the way PostgreSQL's COPY reads it (NULL unquoted and empty, an empty string
quoted), and reads PostgreSQL's COPY output back with quoted empty strings kept as strings.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.ingest.sql import quote_identifier, quote_literal

COPY_CHUNK_BYTES = 1 << 20

# DuckDB type names PostgreSQL spells differently (anything else, e.g. decimal(18,2), is the same)
_POSTGRES_TYPES = {
    "double": "double precision",
    "null": "text",  # a column of an empty frame (no values to type it by)
    "float": "real",
    "hugeint": "numeric(38,0)",
    "timestamp_ns": "timestamp",
    "timestamp_ms": "timestamp",
    "timestamp_s": "timestamp",
    "timestamp with time zone": "timestamptz",
    "tinyint": "smallint",
    "utinyint": "smallint",
    "usmallint": "integer",
    "uinteger": "bigint",
    "ubigint": "numeric(20,0)",
}


@dataclass(frozen=True)
class PostgresSettings:
    """Where the PostgreSQL warehouse is: ``SALESOPS_PG_HOST/PORT/USER/PASSWORD/DATABASE``."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "salesops"
    database: str = "salesops"
    password: str = ""

    @classmethod
    def from_env(cls, environ: os._Environ | dict | None = None) -> PostgresSettings:
        env = os.environ if environ is None else environ
        port = env.get("SALESOPS_PG_PORT", "5432")
        if not port.isdigit():
            raise ValueError(f"SALESOPS_PG_PORT must be a port number, got {port!r}")
        return cls(
            host=env.get("SALESOPS_PG_HOST", cls.host),
            port=int(port),
            user=env.get("SALESOPS_PG_USER", cls.user),
            database=env.get("SALESOPS_PG_DATABASE", cls.database),
            password=env.get("SALESOPS_PG_PASSWORD", cls.password),
        )

    def describe(self) -> str:
        """Where, without the password: for messages."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"


def connect(settings: PostgresSettings, **options):
    """A psycopg connection in UTC with ISO dates (what the CSV transfer expects)."""
    import psycopg

    conn = psycopg.connect(
        host=settings.host, port=settings.port, user=settings.user, password=settings.password or None,
        dbname=settings.database, connect_timeout=5, options="-c TimeZone=UTC -c DateStyle=ISO", **options,
    )
    return conn


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL spelling of a DuckDB column type."""
    return _POSTGRES_TYPES.get(duckdb_type.strip('"').lower(), duckdb_type)


@contextmanager
def _scratch_file() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="salesops-copy-") as folder:
        yield Path(folder) / "rows.csv"


def copy_duckdb_to_postgres(duck: duckdb.DuckDBPyConnection, query: str, cursor, table: str, columns: Sequence[str]) -> int:
    """COPY the rows of a DuckDB ``query`` into PostgreSQL ``table`` (``columns`` in the query's order); rows copied."""
    names = ", ".join(quote_identifier(c) for c in columns)
    with _scratch_file() as path:
        duck.execute(f"copy ({query}) to {quote_literal(str(path))} (format csv, header false)")
        with path.open("rb") as rows, cursor.copy(f"copy {table} ({names}) from stdin (format csv)") as copy:
            while chunk := rows.read(COPY_CHUNK_BYTES):
                copy.write(chunk)
    return cursor.rowcount


def copy_postgres_to_duckdb(cursor, query: str, duck: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    """COPY the rows of a PostgreSQL ``query`` into DuckDB ``table``; ``columns`` maps the query's columns, in order, to DuckDB types."""
    with _scratch_file() as path:
        with path.open("wb") as rows, cursor.copy(f"copy ({query}) to stdout (format csv)") as copy:
            for chunk in copy:
                rows.write(chunk)
        types = "{" + ", ".join(f"{quote_literal(name)}: {quote_literal(kind)}" for name, kind in columns.items()) + "}"
        names = ", ".join(quote_identifier(c) for c in columns)
        duck.execute(
            f"insert into {table} ({names}) select {names} from read_csv({quote_literal(str(path))}, header = false, "
            f"auto_detect = false, columns = {types}, quote = '\"', escape = '\"', allow_quoted_nulls = false, "
            "max_line_size = 1073741824)"
        )


def duckdb_columns(duck: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Column names and DuckDB types of a table, view or query, in order."""
    return {name: kind for name, kind, *_ in duck.execute(f"describe {relation}").fetchall()}


class PostgresWarehouse:
    """The warehouse in PostgreSQL: raw tables loaded through COPY, frames read and written with psycopg."""

    engine = "postgres"

    def __init__(self, settings: PostgresSettings):
        self.settings = settings

    def describe(self) -> str:
        return self.settings.describe()

    def load_export_days(self, spec, landing, start, end, quarantine, preview_rows=0):
        from orchestration.ingest.loaded_days import examine_loaded_days
        from orchestration.ingest.postgres import load_export_days_into_postgres
        from orchestration.warehouse import INGEST_MEMORY_MB

        with (
            connect(self.settings) as pg,
            load_export_days_into_postgres(pg, spec, landing, start, end, quarantine, INGEST_MEMORY_MB) as (result, duck),
        ):
            loaded = examine_loaded_days(duck, spec, start, end, preview_rows)
        return result, loaded

    def read_frame(self, sql, relations=None, shared_text=()):
        import pandas as pd
        from psycopg.types.numeric import FloatLoader

        with connect(self.settings) as pg, pg.cursor() as cursor:
            for name, frame in (relations or {}).items():
                _temporary_table(cursor, name, frame)
            cursor.adapters.register_loader("numeric", FloatLoader)  # as DuckDB's .df(): decimals as floats
            cursor.execute(sql)
            names = [column.name for column in cursor.description]
            dates = [column.name for column in cursor.description if column.type_code == 1082]  # date
            frame = pd.DataFrame(cursor.fetchall(), columns=names)
        for name in dates:
            frame[name] = pd.to_datetime(frame[name])
        from orchestration.shared_text import share_text

        return share_text(frame, shared_text, {})  # after fetchall: the same frame, the memory not given back

    def write_frames(self, writes):
        with connect(self.settings) as pg, pg.cursor() as cursor:  # one transaction, committed at the end
            for write in writes:
                _write_frame(cursor, write)


def _write_frame(cursor, write) -> None:
    relation = f"{quote_identifier(write.schema)}.{quote_identifier(write.table)}"
    with _frame_in_duckdb(write.frame) as (duck, columns):
        cursor.execute(f"create schema if not exists {quote_identifier(write.schema)}")
        if write.replace_rows_of is None:
            cursor.execute(f"drop table if exists {relation}")
            cursor.execute(f"create table {relation} ({_definitions(columns)})")
        else:
            cursor.execute(f"create table if not exists {relation} ({_definitions(columns)})")
            for name, kind in columns.items():
                cursor.execute(f"alter table {relation} add column if not exists {quote_identifier(name)} {postgres_type(kind)}")
            key = quote_identifier(write.replace_rows_of)
            replaced = [row[0] for row in duck.execute(f"select distinct {key} from _frame").fetchall()]
            cursor.execute(f"delete from {relation} where {key} = any(%s)", [replaced])
        copy_duckdb_to_postgres(duck, "select * from _frame", cursor, relation, list(columns))


def _temporary_table(cursor, name: str, frame) -> None:
    """The frame as a temporary table of this session, copied in through COPY and analysed (the planner
    then knows its size)."""
    table = quote_identifier(name)
    with _frame_in_duckdb(frame) as (duck, columns):
        cursor.execute(f"create temporary table {table} ({_definitions(columns)}) on commit drop")
        copy_duckdb_to_postgres(duck, "select * from _frame", cursor, table, list(columns))
    cursor.execute(f"analyze {table}")


@contextmanager
def _frame_in_duckdb(frame) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, str]]]:
    """The frame as the DuckDB table ``_frame`` of an in-memory database, and its DuckDB column types."""
    duck = duckdb.connect()
    try:
        duck.execute("set TimeZone = 'UTC'")
        duck.register("_frame_view", frame)
        duck.execute("create table _frame as select * from _frame_view")
        yield duck, duckdb_columns(duck, "_frame")
    finally:
        duck.close()


def _definitions(columns: dict[str, str]) -> str:
    return ", ".join(f"{quote_identifier(name)} {postgres_type(kind)}" for name, kind in columns.items())
