"""Helpers for ingestion tests: a small purpose-built orders spec, delivering files and reading outcomes."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from orchestration.ingest import SourceSpec, load_export_days
from orchestration.ingest.loader import LoadResult

DAY = date(2024, 3, 1)
DAY_KEY = DAY.isoformat()

# A shop's order export: one of every kind of column and rule.
ORDERS_SPEC = """
source: shop
object: orders
description: Test orders.
file_pattern: "*.csv"
format: {type: csv, delimiter: ",", quote: '"', encoding: utf-8, date_format: "%Y-%m-%d", timestamp_format: "%Y-%m-%d %H:%M:%S"}
primary_key: [order_id]
updated_at: changed_at
on_bad_row: reject_row
columns:
  - {name: order_id, source: OrderId, type: varchar, required: true}
  - {name: customer, source: Customer, type: varchar, required: true}
  - {name: quantity, source: Qty, type: integer, required: true, range: [1, 10000]}
  - {name: amount, source: Amount, type: "decimal(12,2)", range: [0, null]}
  - {name: order_date, source: OrderDate, type: date, required: true, range: ["2000-01-01", "2100-12-31"]}
  - {name: changed_at, source: ChangedAt, type: timestamp, required: true}
  - {name: note, source: Note, type: varchar}
"""
HEADER = "OrderId,Customer,Qty,Amount,OrderDate,ChangedAt,Note"

# An app's event export as JSON lines, with a nested key.
EVENTS_SPEC = """
source: app
object: events
description: Test events as JSON lines.
file_pattern: "*.jsonl"
format: {type: jsonl, timestamp_format: "%Y-%m-%dT%H:%M:%SZ"}
primary_key: [event_id]
updated_at: at
columns:
  - {name: event_id, source: id, type: varchar, required: true}
  - {name: score, source: score, type: integer, range: [0, 10]}
  - {name: city, source: "$.address.city", type: varchar}
  - {name: at, source: at, type: timestamp, required: true}
"""


def order(order_id: str = "A1", customer: str = "Acme", qty: str = "3", amount: str = "19.90",
          day: str = "2024-02-28", changed: str = "2024-02-28 10:00:00", note: str = "") -> str:
    """One CSV record of the orders export."""
    return ",".join([order_id, customer, qty, amount, day, changed, note])


def csv_text(*rows: str, header: str = HEADER, newline: str = "\n") -> str:
    return newline.join([header, *rows]) + newline


def drop(landing: Path, spec: SourceSpec, content: str | bytes, name: str = "orders.csv", day: str = DAY_KEY,
         encoding: str = "utf-8") -> Path:
    """Deliver an export file into the landing folder."""
    folder = landing / spec.source / spec.object / day
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def load(conn, spec: SourceSpec, landing: Path, start: date = DAY, end: date | None = None,
         quarantine: Path | None = None) -> LoadResult:
    return load_export_days(conn, spec, landing, start, end or start, quarantine)


def rejects(conn) -> list[tuple]:
    """(record number, line, reason) of every rejected record, in file order."""
    return conn.execute(
        "select record_number, line_number, reason from raw._rejected_rows order by source_file, record_number"
    ).fetchall()


def counts(result: LoadResult) -> list[tuple]:
    """(status, rows read, loaded, rejected) per file."""
    return [(f.status, f.rows_read, f.rows_loaded, f.rows_rejected) for f in result.files]


def rows(conn, spec: SourceSpec, columns: str = "order_id") -> list[tuple]:
    return conn.execute(f"select {columns} from raw.{spec.table_name} order by all").fetchall()


def land_exports(landing: Path, source: str, day: date, files: dict[str, Path]) -> None:
    """Land copies of existing export files as ``landing/<source>/<object>/<day>/<name>`` (ingestion
    refuses links that lead outside the landing folder)."""
    for obj, path in files.items():
        folder = landing / source / obj / day.isoformat()
        folder.mkdir(parents=True)
        shutil.copyfile(path, folder / path.name)
