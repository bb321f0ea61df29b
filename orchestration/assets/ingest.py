"""One ingestion asset per source spec: loads a range of export days into ``raw.<source>__<object>``.

Built by a factory from the spec files, so adding a YAML spec adds its asset, its checks and its
raw table. Each run loads its whole partition range in one pass (``BackfillPolicy.single_run``).
"""


import dagster as dg
import pandas as pd

import data_quality
from orchestration.ingest import LoadResult, SourceSpec, load_specs
from orchestration.ingest.loaded_days import LoadedDays
from orchestration.partitions import RAW_FRESHNESS, WAREHOUSE_POOL, window_dates
from orchestration.resources import SalesopsHome

SPEC_CHECK = "rows_meet_spec_rules"
REJECTS_CHECK = "no_rejected_records"
PREVIEW_ROWS = 10


def build_ingest_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """An ingestion asset for every source spec."""
    return [build_ingest_asset(spec, partitions) for spec in load_specs()]


def build_ingest_asset(spec: SourceSpec, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", spec.table_name])

    @dg.asset(
        key=key,
        description=f"{spec.description}\n\nLoaded from `landing/{spec.source}/{spec.object}/<export day>/{spec.file_pattern}` "
        f"as described by `{spec.path.name if spec.path else ''}`.",
        group_name=spec.source,
        kinds={"duckdb", spec.format.type},
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        freshness_policy=RAW_FRESHNESS,
        metadata={
            "primary_key": ", ".join(spec.primary_key),
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(c.name, c.type, description=f"export column {c.source}") for c in spec.columns]
            ),
        },
        check_specs=[
            dg.AssetCheckSpec(SPEC_CHECK, asset=key, description="Loaded rows hold required values and respect the spec's ranges and value lists."),
            dg.AssetCheckSpec(REJECTS_CHECK, asset=key, description="No record or file of the loaded export days was rejected."),
        ],
    )
    def ingest(context: dg.AssetExecutionContext, salesops: SalesopsHome):
        paths = salesops.paths
        start, end = window_dates(context.partition_time_window)
        detailed = start == end
        result, loaded = salesops.warehouse.load_export_days(
            spec, paths.landing, start, end, paths.quarantine, preview_rows=PREVIEW_ROWS if detailed else 0
        )
        context.log.info(
            f"raw.{spec.table_name} {start}..{end}: {len(result.files)} files, {result.rows_read} read, "
            f"{result.rows_loaded} loaded, {result.rows_rejected} rejected"
        )
        yield dg.MaterializeResult(metadata=_load_metadata(result, loaded))
        report = loaded.report
        yield dg.AssetCheckResult(
            check_name=SPEC_CHECK,
            passed=report.success,
            severity=dg.AssetCheckSeverity.WARN,
            description=report.summary(),
            metadata=_report_metadata(report),
        )
        yield dg.AssetCheckResult(
            check_name=REJECTS_CHECK,
            passed=result.rows_rejected == 0,
            severity=dg.AssetCheckSeverity.WARN,
            description=_rejects_description(result),
            metadata={"rows_rejected": result.rows_rejected, "files_rejected": len(result.rejected_files)},
        )

    return ingest


def _load_metadata(result: LoadResult, loaded: LoadedDays) -> dict[str, dg.MetadataValue | int | str]:
    """What the UI shows on each partition's materialization: counts always; the file manifest and
    a preview only for a one-day run (a range run copies its metadata to every day it covers, so a
    backfill of years would store the same tables thousands of times; raw._load_manifest has them).
    """
    counts = {
        "files": len(result.files),
        "rows_read": result.rows_read,
        "rows_loaded": result.rows_loaded,
        "rows_rejected": result.rows_rejected,
        "files_rejected": len(result.rejected_files),
        "export_days": f"{result.start} .. {result.end}",
        "dagster/row_count": loaded.rows,
    }
    if loaded.preview is None:
        return counts
    manifest = pd.DataFrame(
        [
            {
                "export_date": str(f.export_date),
                "file": f.source_file.rsplit("/", 1)[-1],
                "status": f.status,
                "read": f.rows_read,
                "loaded": f.rows_loaded,
                "rejected": f.rows_rejected,
            }
            for f in result.files
        ]
    )
    return {
        **counts,
        "load_manifest": dg.MetadataValue.md(manifest.tail(31).to_markdown(index=False) if len(manifest) else "no files"),
        "preview": dg.MetadataValue.md(loaded.preview.to_markdown(index=False) if len(loaded.preview) else "no rows"),
    }


def _report_metadata(report: "data_quality.QualityReport") -> dict[str, int | dg.MetadataValue]:
    return {
        "rows_checked": report.rows,
        "expectations": report.evaluated,
        "failed_expectations": len(report.failures),
        "failures": dg.MetadataValue.json([f.__dict__ for f in report.failures]),
    }


def _rejects_description(result: LoadResult) -> str:
    if not result.rows_rejected:
        return f"All {result.rows_read} records of {len(result.files)} files loaded."
    files = "; ".join(f.reason or f.source_file for f in result.rejected_files[:5])
    return (
        f"{result.rows_rejected} of {result.rows_read} records rejected; see raw._rejected_rows "
        f"and raw._load_manifest (load {result.load_id}). {files}"
    )
