"""The warehouse the platform writes to: DuckDB (default) or PostgreSQL, chosen by ``SALESOPS_DBT_TARGET``.

What Python does with the warehouse besides dbt is small and the same on both engines: load export
days into raw tables, read a frame (the forecast's input, the KPI marts the checks validate), and
write the forecast's tables. :class:`Warehouse` is that interface; ``open_warehouse`` picks the
engine. Connections are short-lived, never held open while dbt runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import duckdb

if TYPE_CHECKING:
    import pandas as pd

    from orchestration.ingest import LoadResult, SourceSpec
    from orchestration.settings import Paths

DUCKDB = "duckdb"
POSTGRES = "postgres"
ENGINES = (DUCKDB, POSTGRES)
TARGET_VARIABLE = "SALESOPS_DBT_TARGET"


@contextmanager
def warehouse_connection(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection in UTC that is closed when the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path), read_only=read_only)
    try:
        conn.execute("set TimeZone = 'UTC'")
        yield conn
    finally:
        conn.close()


class Warehouse(Protocol):
    """What the Dagster assets need of the warehouse beyond dbt."""

    engine: str

    def describe(self) -> str:
        """Where the warehouse is, for messages (never a password)."""

    def load_export_days(
        self, spec: SourceSpec, landing: Path | str, start: date, end: date, quarantine: Path | str | None
    ) -> tuple[LoadResult, pd.DataFrame]:
        """Load export days [start, end] into the spec's raw table; the result and the rows of those days."""

    def read_frame(self, sql: str) -> pd.DataFrame:
        """The result of a query as a frame: decimals as floats, dates as datetime64."""

    def append_frame(self, schema: str, table: str, frame: pd.DataFrame) -> None:
        """Insert the frame's rows by column name, creating the table and adding missing columns first."""

    def replace_frame(self, schema: str, table: str, frame: pd.DataFrame) -> None:
        """Replace the table with the frame, atomically."""


class DuckDBWarehouse:
    """The embedded default: ``$SALESOPS_HOME/warehouse.duckdb``."""

    engine = DUCKDB

    def __init__(self, path: Path):
        self.path = path

    def describe(self) -> str:
        return str(self.path)

    def load_export_days(self, spec, landing, start, end, quarantine):
        from orchestration.ingest import load_export_days
        from orchestration.ingest.sql import quote_identifier

        with warehouse_connection(self.path) as conn:
            result = load_export_days(conn, spec, landing, start, end, quarantine)
            loaded = conn.execute(
                f"select * exclude (_source_file, _loaded_at) from raw.{quote_identifier(spec.table_name)} "
                "where _export_date between ? and ?",
                [start, end],
            ).df()
        return result, loaded

    def read_frame(self, sql):
        with warehouse_connection(self.path, read_only=True) as conn:
            return conn.execute(sql).df()

    def append_frame(self, schema, table, frame):
        with warehouse_connection(self.path) as conn:
            conn.execute(f"create schema if not exists {schema}")
            conn.register("_frame", frame)
            conn.execute(f"create table if not exists {schema}.{table} as select * from _frame limit 0")
            existing = {row[0] for row in conn.execute(f"describe {schema}.{table}").fetchall()}
            for name, kind, *_ in conn.execute("describe _frame").fetchall():
                if name not in existing:
                    conn.execute(f'alter table {schema}.{table} add column "{name}" {kind}')
            conn.execute(f"insert into {schema}.{table} by name select * from _frame")
            conn.unregister("_frame")

    def replace_frame(self, schema, table, frame):
        with warehouse_connection(self.path) as conn:
            conn.execute(f"create schema if not exists {schema}")
            conn.register("_frame", frame)
            conn.execute(f"create or replace table {schema}.{table} as select * from _frame")
            conn.unregister("_frame")


def open_warehouse(paths: Paths, engine: str = DUCKDB) -> Warehouse:
    """The warehouse of ``engine`` (``duckdb``: under ``paths``; ``postgres``: from ``SALESOPS_PG_*``)."""
    if engine == DUCKDB:
        return DuckDBWarehouse(paths.warehouse)
    if engine == POSTGRES:
        from orchestration.postgres import PostgresSettings, PostgresWarehouse

        return PostgresWarehouse(PostgresSettings.from_env())
    raise ValueError(f"{TARGET_VARIABLE} must be one of {', '.join(ENGINES)} (a target of dbt_project/profiles.yml), got {engine!r}")
