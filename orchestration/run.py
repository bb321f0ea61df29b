"""Run the whole pipeline once, in-process, over every export day found: what `make run` does.

    python -m orchestration.run [--home DIR]

It launches the ``daily_load`` job over the range of export days in the landing folder, then the
``warehouse_build`` job, both recorded in the Dagster instance at $DAGSTER_HOME (so the UI shows
them), and prints where the warehouse is and a short KPI summary.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.ingest.files import export_days
from orchestration.ingest.specs import load_specs
from orchestration.jobs import DAILY_LOAD_JOB, WAREHOUSE_BUILD_JOB
from orchestration.partitions import as_partition_key
from orchestration.settings import Paths, salesops_paths
from orchestration.summary import kpi_summary


def landing_range(paths: Paths) -> tuple[date, date] | None:
    """First and last export day with any folder in the landing area."""
    days = [day for spec in load_specs() for day in export_days(paths.landing, spec)]
    return (min(days), max(days)) if days else None


def run_pipeline(paths: Paths, instance: dg.DagsterInstance) -> tuple[dg.ExecuteInProcessResult, dg.ExecuteInProcessResult]:
    """Load every export day, then build the warehouse; raises with the failing step when a run fails."""
    from orchestration.definitions import build_definitions

    export_range = landing_range(paths)
    if export_range is None:
        raise SystemExit(f"No export folders under {paths.landing}. Generate the demo data first: make demo-data")
    defs = build_definitions()
    load = defs.resolve_job_def(DAILY_LOAD_JOB).execute_in_process(
        instance=instance,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: as_partition_key(export_range[0]),
            ASSET_PARTITION_RANGE_END_TAG: as_partition_key(export_range[1]),
        },
    )
    build = defs.resolve_job_def(WAREHOUSE_BUILD_JOB).execute_in_process(instance=instance)
    return load, build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.run", description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="SALESOPS_HOME (default: $SALESOPS_HOME or ./data)")
    args = parser.parse_args(argv)
    paths = salesops_paths(args.home)
    os.environ["SALESOPS_HOME"] = str(paths.home)  # dbt reads it from its profile
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    run_pipeline(paths, instance)
    print(f"\nWarehouse: {paths.warehouse}")
    print(kpi_summary(paths.warehouse))
    return 0


if __name__ == "__main__":
    sys.exit(main())
