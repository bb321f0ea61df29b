"""Runners `make bench` starts as subprocesses, each recorded in the Dagster instance at $DAGSTER_HOME.

    python -m bench.runs one-day --home DIR --day YYYY-MM-DD   # daily_load of one export day, then warehouse_build
    python -m bench.runs ingest  --home DIR                    # our ingestion assets alone, over every export day

The full pipeline is `make run`'s own command (``python -m orchestration.run``), not a runner here.
Both runners set up the process as `make run` does (orchestration.run.prepare_process).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.ingest.files import landing_range
from orchestration.ingest.specs import load_specs
from orchestration.jobs import DAILY_LOAD_JOB, WAREHOUSE_BUILD_JOB
from orchestration.partitions import as_partition_key
from orchestration.run import prepare_process
from orchestration.settings import salesops_paths


def range_tags(first: date, last: date) -> dict[str, str]:
    """The tags of one run over a range of export days (as make run's daily_load)."""
    return {ASSET_PARTITION_RANGE_START_TAG: as_partition_key(first), ASSET_PARTITION_RANGE_END_TAG: as_partition_key(last)}


def one_day(day: date) -> None:
    """What the schedule does for one new export day: load it, then rebuild the warehouse."""
    from orchestration.definitions import build_definitions

    instance = dg.DagsterInstance.get()
    defs = build_definitions()
    defs.resolve_job_def(DAILY_LOAD_JOB).execute_in_process(instance=instance, partition_key=as_partition_key(day))
    defs.resolve_job_def(WAREHOUSE_BUILD_JOB).execute_in_process(instance=instance)


def ingest_only(landing) -> None:
    """The ingestion assets of daily_load alone, as one run over every export day found."""
    from orchestration.definitions import build_definitions

    specs = load_specs()
    first, last = landing_range(landing, specs)
    instance = dg.DagsterInstance.get()
    keys = [dg.AssetKey(["raw", spec.table_name]) for spec in specs]
    build_definitions().resolve_job_def(DAILY_LOAD_JOB).execute_in_process(
        instance=instance, asset_selection=keys, tags=range_tags(first, last)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.runs")
    parser.add_argument("what", choices=["one-day", "ingest"])
    parser.add_argument("--home", required=True)
    parser.add_argument("--day", type=date.fromisoformat)
    args = parser.parse_args(argv)
    paths = salesops_paths(args.home)
    prepare_process(paths)
    if args.what == "one-day":
        one_day(args.day)
    else:
        ingest_only(paths.landing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
