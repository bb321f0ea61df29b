"""The usual alternative to our ingestion: pandas ``read_csv`` per file, written by dagster-duckdb-pandas.

    python -m bench.pandas_ingest --home DIR --database FILE

One Dagster asset per source spec, daily-partitioned like ours and run as one run over every
export day (``BackfillPolicy.single_run``); each reads its files with pandas (``read_csv``, or
``read_json(lines=True)`` for JSON lines), renames and types the spec's columns, adds the lineage
columns, and returns the frame to ``DuckDBPandasIOManager`` (which replaces the partitions' rows by
``_export_date``). No validation, rejects or bookkeeping: less work than ours does.
Runs in its own environment (bench/work/pandas-venv: dagster-duckdb-pandas needs pandas < 3).
"""


import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from orchestration.ingest.files import landing_range
from orchestration.ingest.landing import LocalLanding
from orchestration.ingest.specs import ColumnSpec, SourceSpec, load_specs
from orchestration.partitions import window_dates
from orchestration.run import prepare_process
from orchestration.settings import salesops_paths

from bench.runs import range_tags

JOB = "pandas_ingest"


def read_file(path: Path, spec: SourceSpec) -> pd.DataFrame:
    """One export file as pandas reads it, with the spec's columns renamed and typed."""
    fmt = spec.format
    if fmt.type == "jsonl":
        frame = pd.read_json(path, lines=True, dtype=False)
    else:
        frame = pd.read_csv(path, sep=fmt.delimiter, quotechar=fmt.quote, encoding=fmt.encoding, dtype=str, keep_default_na=False, na_values=[""])
    out = pd.DataFrame(index=frame.index)
    for column in spec.columns:
        values = frame[column.source] if column.source in frame else pd.Series(None, index=frame.index, dtype=object)
        out[column.name] = typed(values, column, spec)
    return out


def typed(values: pd.Series, column: ColumnSpec, spec: SourceSpec) -> pd.Series:
    kind = column.type
    if kind in ("date", "timestamp"):
        formats = column.formats or (spec.format.date_formats if kind == "date" else spec.format.timestamp_formats)
        parsed = pd.to_datetime(values, format=formats[0], errors="coerce", utc=False)
        return parsed.dt.tz_localize(None) if getattr(parsed.dt, "tz", None) is not None else parsed
    if kind in ("integer", "bigint"):
        return pd.to_numeric(values, errors="coerce").astype("Int64")
    if kind.startswith("decimal") or kind in ("double", "float"):
        return pd.to_numeric(values, errors="coerce")
    if kind == "boolean":
        fmt = spec.format
        truthy = set(fmt.true_values or ("true", "True", "1"))
        return values.map(lambda v: None if v is None or v != v else v in truthy).astype("boolean")
    return values.astype("string")


def pandas_asset(spec: SourceSpec, landing: Path, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", spec.table_name],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        metadata={"partition_expr": "_export_date"},
    )
    def load(context: dg.AssetExecutionContext) -> pd.DataFrame:
        start, end = window_dates(context.partition_time_window)
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        frames = []
        for landed in LocalLanding(landing).discover(spec, start, end):
            frame = read_file(Path(landed.location), spec)
            frame["_export_date"] = pd.Timestamp(landed.export_date)
            frame["_source_file"] = landed.location
            frame["_loaded_at"] = loaded_at
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    return load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pandas_ingest")
    parser.add_argument("--home", required=True, help="SALESOPS_HOME whose landing folder is read")
    parser.add_argument("--database", required=True, help="the DuckDB file the IO manager writes")
    args = parser.parse_args(argv)
    from dagster_duckdb_pandas import DuckDBPandasIOManager  # only in bench/work/pandas-venv

    paths = salesops_paths(args.home)
    prepare_process(paths)  # the process settings of make run and of our ingestion's runner
    specs = load_specs()
    first, last = landing_range(paths.landing, specs)
    partitions = dg.DailyPartitionsDefinition(start_date=first.isoformat(), timezone="UTC")
    defs = dg.Definitions(
        assets=[pandas_asset(spec, paths.landing, partitions) for spec in specs],
        jobs=[dg.define_asset_job(JOB, selection=dg.AssetSelection.all())],
        resources={"io_manager": DuckDBPandasIOManager(database=args.database)},
        executor=dg.in_process_executor,
    )
    defs.resolve_job_def(JOB).execute_in_process(instance=dg.DagsterInstance.get(), tags=range_tags(first, last))
    return 0


if __name__ == "__main__":
    sys.exit(main())
