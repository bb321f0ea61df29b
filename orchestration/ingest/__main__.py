"""Load every export file found in the landing folder into the warehouse's raw tables.

    python -m orchestration.ingest [--home DIR] [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--only TABLE ...]

The Dagster assets do the same per partition; this is for development and benchmarks.
"""

from __future__ import annotations

import argparse
from datetime import date

from orchestration.ingest.files import export_days
from orchestration.ingest.loader import load_export_days
from orchestration.ingest.specs import load_specs
from orchestration.settings import salesops_paths
from orchestration.warehouse import warehouse_connection


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="SALESOPS_HOME (default: $SALESOPS_HOME or ./data)")
    parser.add_argument("--start", type=date.fromisoformat, help="first export day (default: the earliest found)")
    parser.add_argument("--end", type=date.fromisoformat, help="last export day (default: the latest found)")
    parser.add_argument("--only", nargs="*", help="raw table names to load, e.g. crm__accounts")
    args = parser.parse_args(argv)
    paths = salesops_paths(args.home)
    specs = [s for s in load_specs() if not args.only or s.table_name in args.only]
    with warehouse_connection(paths.warehouse) as conn:
        for spec in specs:
            days = export_days(paths.landing, spec)
            if not days:
                print(f"raw.{spec.table_name}: no export folders under {paths.landing / spec.source / spec.object}")
                continue
            result = load_export_days(
                conn, spec, paths.landing, args.start or days[0], args.end or days[-1], paths.quarantine
            )
            print(
                f"raw.{spec.table_name}: {len(result.files)} files, {result.rows_read} rows read, "
                f"{result.rows_loaded} loaded, {result.rows_rejected} rejected"
            )
            for rejected in result.rejected_files:
                print(f"  rejected file: {rejected.reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
