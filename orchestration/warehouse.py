"""Short-lived connections to the DuckDB warehouse (never held open while dbt runs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


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
