"""Load every export file found in the landing area into the warehouse's raw tables.

    python -m orchestration.ingest [--home DIR] [--landing DIR|s3://bucket/prefix] [--quarantine DIR|s3://...]
                                   [--specs DIR ...] [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--only TABLE ...]

The Dagster assets do the same per partition; this is for development, benchmarks and trying a
new spec on a folder of exports. Prints one line per raw table, and one per file that was not
simply loaded (rejected, duplicate, still being written, superseded) or that carries notes.
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
    parser.add_argument("--landing", help="landing folder or s3://bucket/prefix (default: $SALESOPS_HOME/landing)")
    parser.add_argument("--quarantine", help="folder or s3:// URL for rejected files (default: $SALESOPS_HOME/quarantine)")
    parser.add_argument("--specs", nargs="*", help="spec directories (default: $SALESOPS_SOURCE_SPECS or the demo specs)")
    parser.add_argument("--start", type=date.fromisoformat, help="first export day (default: the earliest found)")
    parser.add_argument("--end", type=date.fromisoformat, help="last export day (default: the latest found)")
    parser.add_argument("--only", nargs="*", help="raw table names to load, e.g. crm__accounts")
    args = parser.parse_args(argv)
    paths = salesops_paths(args.home)
    landing = args.landing or paths.landing
    quarantine = args.quarantine or paths.quarantine
    specs = [s for s in load_specs(args.specs or None) if not args.only or s.table_name in args.only]
    with warehouse_connection(paths.warehouse) as conn:
        for spec in specs:
            days = export_days(landing, spec)
            if not days:
                print(f"raw.{spec.table_name}: no export folders under {landing}/{spec.source}/{spec.object}")
                continue
            result = load_export_days(conn, spec, landing, args.start or days[0], args.end or days[-1], quarantine)
            print(
                f"raw.{spec.table_name}: {len(result.files)} files, {result.rows_read} rows read, "
                f"{result.rows_loaded} loaded, {result.rows_rejected} rejected"
            )
            for file in result.files:
                if file.status != "loaded":
                    print(f"  {file.status}: {file.reason}")
                elif file.notes:
                    print(f"  note: {file.source_file}: {'; '.join(file.notes)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
