"""Run the whole pipeline once, in-process, over every export day found: what `make run` does.

    python -m orchestration.run [--home DIR]

It launches the ``daily_load`` job over the range of export days in the landing folder, then the
``warehouse_build`` job (which ends by publishing ``bi.duckdb`` for BI tools), and prints where the
build warehouse and the published file are and a short KPI summary.

Where the runs are recorded: in the Dagster instance at $DAGSTER_HOME, so the UI shows every
partition, mart, check and the forecast as materialized. Dagster writes one materialization event
per asset and export day (~70 ms each on SQLite here), so the demo company hands over its history
in one initial export and exports daily only for the last weeks (docs/demo_company.md). A
``daily_load`` over more than ``RECORDED_LOAD_DAYS`` export days (years of daily exports: ~21,000
events, most of an hour to record) runs on an in-memory instance instead; every run the schedule,
the sensor or the UI launches is recorded as usual.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.ingest.files import landing_range
from orchestration.ingest.specs import load_specs
from orchestration.jobs import DAILY_LOAD_JOB, WAREHOUSE_BUILD_JOB
from orchestration.partitions import as_partition_key
from orchestration.resources import salesops_home_resource
from orchestration.settings import Paths, salesops_paths
from orchestration.summary import kpi_summary
from orchestration.warehouse import DUCKDB


RECORDED_LOAD_DAYS = 62
PLANNED_EVENTS_AS_RANGES = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


def run_pipeline(
    paths: Paths, instance: dg.DagsterInstance, long_load_instance: dg.DagsterInstance | None = None
) -> tuple[dg.ExecuteInProcessResult, dg.ExecuteInProcessResult]:
    """Load every export day, then build the warehouse, both recorded in ``instance``; a load of more
    than RECORDED_LOAD_DAYS days is recorded in ``long_load_instance`` instead, when one is given."""
    from orchestration.definitions import build_definitions

    export_range = landing_range(paths.landing, load_specs())
    if export_range is None:
        raise SystemExit(f"No export folders under {paths.landing}. Generate the demo data first: make demo-data")
    long_load = (export_range[1] - export_range[0]).days + 1 > RECORDED_LOAD_DAYS
    defs = build_definitions()
    load = defs.resolve_job_def(DAILY_LOAD_JOB).execute_in_process(
        instance=long_load_instance if long_load and long_load_instance else instance,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: as_partition_key(export_range[0]),
            ASSET_PARTITION_RANGE_END_TAG: as_partition_key(export_range[1]),
        },
    )
    build = defs.resolve_job_def(WAREHOUSE_BUILD_JOB).execute_in_process(instance=instance)
    return load, build


def skip_sqlite_disk_sync() -> None:
    """Let Dagster's SQLite storage in this process commit without waiting for the disk.

    Every event is its own transaction, and a synchronous commit costs ~45 ms here: 72 ms per event
    becomes 26 ms, over the ~2,000 events of `make run` 1.5 minutes. SQLite stays consistent if
    this process dies; only an operating-system crash or power loss in the middle of `make run` can
    damage $DAGSTER_HOME's run history. Runs the UI, the daemon or the sensor launch keep SQLite's
    default.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _no_sync(dbapi_connection, _record) -> None:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            dbapi_connection.execute("PRAGMA synchronous=OFF")


def prepare_process(paths: Paths) -> None:
    """The settings of a `make run` process (also used by `make bench`'s runners): quiet API-stability
    warnings, SALESOPS_HOME for dbt, planned events as ranges, SQLite commits without disk sync."""
    for category in (dg.BetaWarning, dg.PreviewWarning):  # API-stability notes for us, noise for a newcomer
        warnings.filterwarnings("ignore", category=category)
    os.environ["SALESOPS_HOME"] = str(paths.home)  # dbt reads it from its profile
    # One "materialization planned" event per asset for the range run instead of one per asset and
    # export day (Dagster's switch; the price is that partitions of a failed range run are not
    # marked failed, which a re-run settles). Only for this process, not for runs the UI launches.
    os.environ.setdefault(PLANNED_EVENTS_AS_RANGES, "true")
    skip_sqlite_disk_sync()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.run", description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="SALESOPS_HOME (default: $SALESOPS_HOME or ./data)")
    args = parser.parse_args(argv)
    paths = salesops_paths(args.home)
    prepare_process(paths)
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    run_pipeline(paths, instance, long_load_instance=dg.DagsterInstance.ephemeral())
    salesops = salesops_home_resource()
    warehouse = salesops.warehouse
    print(f"\nWarehouse (the build, written by the pipeline): {warehouse.describe()}")
    if salesops.engine == DUCKDB:
        print(f"Published for BI tools (open read-only; replaced atomically after each checked build): {paths.bi_warehouse}")
    print(kpi_summary(warehouse))
    return 0


if __name__ == "__main__":
    sys.exit(main())
