"""A BI tool in miniature: opens the published bi.duckdb read-only, queries the KPI tables, closes; again.

    python -m tests.reliability.bi_reader PUBLISHED OUTPUT.jsonl STOP_FILE

Writes one JSON line per snapshot until STOP_FILE exists: the build it came from, whether every table
holds the rows the publication recorded, whether units ordered per month in ``operations_monthly``
equal units booked per month in ``sop_monthly`` (two tables, one definition: sum(quantity) of the
order lines ordered in the month), and a total; or the error the attempt raised.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

RECONCILE = """
    with operations as (select month, sum(ordered_units) as units from operations_monthly group by month),
         sop as (select month, sum(booked_units) as units from sop_monthly group by month)
    select count(*) filter (where coalesce(operations.units, 0) <> coalesce(sop.units, 0)),
           (select sum(ordered_units) from operations_monthly),
           (select sum(booked_units) from sop_monthly),
           (select sum(bookings_amount)::double from sales_monthly)
    from operations full join sop using (month)
"""


def snapshot(published: Path) -> dict:
    with duckdb.connect(str(published), read_only=True) as conn:
        build_id, latest_export_day = conn.execute("select build_id, latest_export_day::varchar from publication.build").fetchone()
        recorded = dict(conn.execute("select table_name, row_count from publication.tables").fetchall())
        wrong_counts = {
            table: [rows, conn.execute(f'select count(*) from "{table}"').fetchone()[0]]
            for table, rows in recorded.items()
        }
        wrong_counts = {table: counts for table, counts in wrong_counts.items() if counts[0] != counts[1]}
        unreconciled_months, ordered_units, booked_units, bookings = conn.execute(RECONCILE).fetchone()
    return {
        "build_id": build_id,
        "latest_export_day": latest_export_day,
        "tables": len(recorded),
        "wrong_row_counts": wrong_counts,
        "unreconciled_months": unreconciled_months,
        "ordered_units": int(ordered_units),
        "booked_units": int(booked_units),
        "bookings_amount": bookings,
    }


def main(published: Path, output: Path, stop: Path) -> None:
    with output.open("a") as out:
        while not stop.exists():
            started = time.time()
            try:
                record = snapshot(published)
            except Exception as error:  # every error is an observation: the test expects none
                record = {"error": f"{type(error).__name__}: {error}"}
            record["at"] = started
            out.write(json.dumps(record) + "\n")
            out.flush()
            time.sleep(0.05)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
