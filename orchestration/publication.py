"""Publish the build warehouse's ``bi`` schema to ``bi.duckdb`` for BI tools, atomically.

The new file is built beside the published one under a temporary name, checked, synced to disk
and renamed over it (``os.replace``): a reader opening ``bi.duckdb`` gets either the previous
complete file or the new complete file, never a half-written one, and never a lock error (nothing
ever opens the published file for writing). A reader with an open connection keeps reading the
file it opened until it reconnects. Only the ``bi`` schema's relations are copied, as tables of the
published file's default schema (``main``: a reader that opens ``bi.duckdb`` finds ``sales_monthly``
also as ``bi.sales_monthly``, the catalog being named after the file, so queries written against
the build's ``bi`` schema work unchanged), plus the ``publication`` schema saying which build they
came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.ingest.sql import quote_identifier, quote_literal

BUILD_SCHEMA = "bi"  # the schema of the build warehouse that is published
PUBLISHED_SCHEMA = "main"  # where its relations land in the published file
PUBLICATION_SCHEMA = "publication"  # publication.build (one row) and publication.tables (one row per table)
TEMPORARY_SUFFIX = ".publishing"


class PublicationError(RuntimeError):
    """The build cannot be published; the published file is left as it was."""


@dataclass(frozen=True)
class Publication:
    """What one publication wrote."""

    path: Path
    build_id: str
    published_at: datetime
    latest_export_day: str | None
    row_counts: dict[str, int]  # table name in the bi schema -> rows
    size_bytes: int


def publish_bi_schema(warehouse: Path, published: Path, build_id: str) -> Publication:
    """Copy every relation of ``warehouse``'s bi schema into a new file and put it in place of ``published``."""
    if not warehouse.exists():
        raise PublicationError(f"{warehouse}: no build warehouse to publish; run the pipeline first (make run)")
    published.parent.mkdir(parents=True, exist_ok=True)
    remove_unfinished_publications(published)
    building = published.with_name(f".{published.name}.{build_id}{TEMPORARY_SUFFIX}")
    published_at = datetime.now(UTC).replace(tzinfo=None)
    try:
        with duckdb.connect() as conn:  # both files attached under fixed names: no name depends on a file name
            conn.execute(f"attach {quote_literal(str(warehouse))} as build (read_only)")
            conn.execute(f"attach {quote_literal(str(building))} as published")
            tables = _bi_relations(conn, warehouse)
            row_counts = _copy_tables(conn, tables)
            latest_export_day = _latest_export_day(conn)
            _write_publication_tables(conn, build_id, published_at, latest_export_day, row_counts)
            conn.execute("checkpoint published")  # everything into the file itself
            conn.execute("detach published")
            conn.execute("detach build")
        if _wal(building).exists():  # the rename moves one file: the published one must hold everything
            raise PublicationError(f"{_wal(building)}: DuckDB kept a write-ahead log after its checkpoint; not published")
        _sync(building)
        os.replace(building, published)
        _sync(published.parent)
    finally:
        _remove(building)
    return Publication(published, build_id, published_at, latest_export_day, row_counts, published.stat().st_size)


def remove_unfinished_publications(published: Path) -> None:
    """Delete files left by a publication that died before its rename (never the published file)."""
    for leftover in published.parent.glob(f".{published.name}.*{TEMPORARY_SUFFIX}*"):
        _remove(leftover)


def _bi_relations(conn: duckdb.DuckDBPyConnection, warehouse: Path) -> list[str]:
    names = [
        row[0]
        for row in conn.execute(
            "select table_name from information_schema.tables where table_catalog = 'build' and table_schema = ? "
            "order by table_name",
            [BUILD_SCHEMA],
        ).fetchall()
    ]
    if not names:
        raise PublicationError(
            f"{warehouse}: schema {BUILD_SCHEMA!r} has no table or view; the warehouse build has not "
            "completed (run the warehouse_build job)"
        )
    return names


def _copy_tables(conn: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    """Each relation as a table in the new file, in one transaction; row counts checked against the build."""
    conn.execute("begin transaction")
    counts = {}
    for name in tables:
        source = f"build.{BUILD_SCHEMA}.{quote_identifier(name)}"
        target = f"published.{PUBLISHED_SCHEMA}.{quote_identifier(name)}"
        conn.execute(f"create table {target} as select * from {source}")
        copied = conn.execute(f"select count(*) from {target}").fetchone()[0]
        expected = conn.execute(f"select count(*) from {source}").fetchone()[0]
        if copied != expected:
            raise PublicationError(f"{target}: copied {copied} rows, the build has {expected}; not published")
        counts[name] = copied
    conn.execute("commit")
    return counts


def _latest_export_day(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The last export day the build loaded (from the load manifest), to say how fresh the publication is."""
    try:
        day = conn.execute("select max(export_date) from build.raw._load_manifest where status = 'loaded'").fetchone()[0]
    except duckdb.CatalogException:
        return None
    return day.isoformat() if day else None


def _write_publication_tables(
    conn: duckdb.DuckDBPyConnection, build_id: str, published_at: datetime, latest_export_day: str | None, row_counts: dict[str, int]
) -> None:
    conn.execute(f"create schema published.{PUBLICATION_SCHEMA}")
    conn.execute(
        f"create table published.{PUBLICATION_SCHEMA}.build (build_id varchar not null, published_at timestamp not null, "
        "latest_export_day date, table_count integer not null)"
    )
    conn.execute(
        f"insert into published.{PUBLICATION_SCHEMA}.build values (?, ?, ?, ?)",
        [build_id, published_at, latest_export_day, len(row_counts)],
    )
    conn.execute(f"create table published.{PUBLICATION_SCHEMA}.tables (table_name varchar not null, row_count bigint not null)")
    conn.executemany(f"insert into published.{PUBLICATION_SCHEMA}.tables values (?, ?)", list(row_counts.items()))


def _sync(path: Path) -> None:
    """Flush a file's (or a folder's entries') data to disk, so a rename never exposes unwritten blocks."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _remove(path: Path) -> None:
    for candidate in (path, _wal(path)):
        candidate.unlink(missing_ok=True)
