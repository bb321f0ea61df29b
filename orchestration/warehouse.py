"""The warehouse the platform writes to: DuckDB (default) or PostgreSQL, chosen by ``SALESOPS_DBT_TARGET``.

What Python does with the warehouse besides dbt is small and the same on both engines: load export
days into raw tables, read a frame (the forecast's input, the KPI marts the checks validate), and
write the forecast's tables. :class:`Warehouse` is that interface; ``open_warehouse`` picks the
engine. Connections are short-lived, never held open while dbt runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import duckdb

if TYPE_CHECKING:
    import pandas as pd

    from orchestration.ingest import LoadResult, SourceSpec
    from orchestration.ingest.loaded_days import LoadedDays
    from orchestration.settings import Paths

DUCKDB = "duckdb"
POSTGRES = "postgres"
ENGINES = (DUCKDB, POSTGRES)
TARGET_VARIABLE = "SALESOPS_DBT_TARGET"
# DuckDB's memory (MiB) for one ingestion step (beyond it, temporary tables spill to disk): the step's
# memory does not grow with the data. At 1M order lines 256 MiB cost little time against no bound;
# at 10M the load's temporary tables (18M staged records, then typed) spilled: the stage history's
# first load took 65 s at 256 MiB (peak 0.50 GB), 46 s at 512 (0.77 GB), 45 s at 1024 (1.43 GB).
INGEST_MEMORY_MB = 512
# DuckDB's memory (MiB) for a query read into a frame (read_frame), in the Dagster process beside the
# frames it already holds. Unbounded, DuckDB took up to 80 % of the machine: at 10M order lines the
# win-probability read of every deal's close (a window over 18M stage changes) added 1.4 GB to the
# step's peak; at 512 MiB it spills and adds 0.4 GB, 1 s slower.
READ_MEMORY_MB = 512


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


@dataclass(frozen=True)
class FrameWrite:
    """One table write of :meth:`Warehouse.write_frames`.

    With ``replace_rows_of`` unset the frame replaces the table. With a column named there, the
    frame replaces the table's rows with the frame's values of that column and the other rows stay
    (vintages: a re-run of the same input month replaces its own rows); the table is created, or
    gains the frame's new columns, first.
    """

    schema: str
    table: str
    frame: pd.DataFrame
    replace_rows_of: str | None = None


class Warehouse(Protocol):
    """What the Dagster assets need of the warehouse beyond dbt."""

    engine: str

    def describe(self) -> str:
        """Where the warehouse is, for messages (never a password)."""

    def load_export_days(
        self, spec: SourceSpec, landing: Path | str, start: date, end: date, quarantine: Path | str | None, preview_rows: int = 0
    ) -> tuple[LoadResult, LoadedDays]:
        """Load export days [start, end] into the spec's raw table; the result, and the spec check, count and
        preview of those days' rows (computed in SQL: the rows are not read into Python)."""

    def read_frame(self, sql: str, relations: Mapping[str, pd.DataFrame] | None = None, shared_text: Sequence[str] = ()) -> pd.DataFrame:
        """The result of a query as a frame: decimals as floats, dates as datetime64. The query may
        name each frame of ``relations`` as a table (a list of ids to join, say), for itself only.
        The rows of the text columns ``shared_text`` (few distinct values) share one string per value
        (orchestration/shared_text.py): the same frame in less memory."""

    def write_frames(self, writes: Sequence[FrameWrite]) -> None:
        """Apply every write in one transaction: all of them or, killed or failed, none."""


class DuckDBWarehouse:
    """The embedded default: ``$SALESOPS_HOME/warehouse.duckdb``."""

    engine = DUCKDB

    def __init__(self, path: Path):
        self.path = path

    def describe(self) -> str:
        return str(self.path)

    def load_export_days(self, spec, landing, start, end, quarantine, preview_rows=0):
        from orchestration.ingest import load_export_days
        from orchestration.ingest.loaded_days import examine_loaded_days

        with warehouse_connection(self.path) as conn:  # spills to warehouse.duckdb.tmp beside the warehouse
            result = load_export_days(conn, spec, landing, start, end, quarantine, memory_limit_mb=INGEST_MEMORY_MB)
            loaded = examine_loaded_days(conn, spec, start, end, preview_rows)
        return result, loaded

    def read_frame(self, sql, relations=None, shared_text=()):
        with warehouse_connection(self.path, read_only=True) as conn:
            conn.execute(f"set memory_limit = '{READ_MEMORY_MB}MiB'")
            for name, frame in (relations or {}).items():
                conn.register(name, frame)
            result = conn.execute(sql)
            if not shared_text:
                return result.df()
            from orchestration.shared_text import fetch_sharing_text

            return fetch_sharing_text(result, shared_text)

    def write_frames(self, writes):
        with warehouse_connection(self.path) as conn:
            conn.execute("begin transaction")
            try:
                for write in writes:
                    _write_frame(conn, write)
                conn.execute("commit")
            except BaseException:
                conn.execute("rollback")
                raise


def _write_frame(conn: duckdb.DuckDBPyConnection, write: FrameWrite) -> None:
    """One write inside the caller's transaction (the frame stays registered until the connection closes:
    unregistering in a failed transaction would raise over the error that failed it)."""
    relation = f"{write.schema}.{write.table}"
    conn.execute(f"create schema if not exists {write.schema}")
    conn.register("_frame", write.frame)
    if write.replace_rows_of is None:
        conn.execute(f"create or replace table {relation} as select * from _frame")
        return
    conn.execute(f"create table if not exists {relation} as select * from _frame limit 0")
    existing = {row[0] for row in conn.execute(f"describe {relation}").fetchall()}
    for name, kind, *_ in conn.execute("describe _frame").fetchall():
        if name not in existing:
            conn.execute(f'alter table {relation} add column "{name}" {kind}')
    key = write.replace_rows_of
    conn.execute(f'delete from {relation} where "{key}" in (select distinct "{key}" from _frame)')
    conn.execute(f"insert into {relation} by name select * from _frame")


def open_warehouse(paths: Paths, engine: str = DUCKDB) -> Warehouse:
    """The warehouse of ``engine`` (``duckdb``: under ``paths``; ``postgres``: from ``SALESOPS_PG_*``)."""
    if engine == DUCKDB:
        return DuckDBWarehouse(paths.warehouse)
    if engine == POSTGRES:
        from orchestration.postgres import PostgresSettings, PostgresWarehouse

        return PostgresWarehouse(PostgresSettings.from_env())
    raise ValueError(f"{TARGET_VARIABLE} must be one of {', '.join(ENGINES)} (a target of dbt_project/profiles.yml), got {engine!r}")
