"""The ``publish`` asset: the last complete, checked build, at ``$SALESOPS_HOME/bi.duckdb`` for BI tools.

It runs last in ``warehouse_build``, after the bi views. A blocking check that fails upstream (the
KPI marts' Great Expectations suites, dbt's error-severity tests) stops the run before this step:
Dagster marks ``publish`` skipped and the published file keeps the previous build. Launched on its
own, it looks up the latest result of every blocking check first and refuses, naming the failed
ones. It is in the warehouse pool: it reads the build warehouse, which no writer may hold meanwhile.
"""

from collections.abc import Sequence

import dagster as dg
import pandas as pd
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from orchestration.partitions import WAREHOUSE_POOL
from orchestration.publication import Publication, publish_bi_schema
from orchestration.resources import SalesopsHome

PUBLISH_KEY = dg.AssetKey("publish")


def build_publish_asset(bi_keys: Sequence[dg.AssetKey], blocking_checks: Sequence[dg.AssetCheckKey]) -> dg.AssetsDefinition:
    """``publish``, downstream of every bi view, gated on ``blocking_checks``."""

    @dg.asset(
        key=PUBLISH_KEY,
        deps=list(bi_keys),
        group_name="bi",
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        description=(
            "Copies the bi schema's views, as tables, into a new DuckDB file and renames it over "
            "`$SALESOPS_HOME/bi.duckdb` (atomic): BI tools open that file read-only and always see the last "
            "complete build whose blocking checks passed. Skipped when a blocking check fails; the file "
            "then keeps the previous build. See docs/publication.md."
        ),
    )
    def publish(context: dg.AssetExecutionContext, salesops: SalesopsHome) -> dg.MaterializeResult:
        failed = failed_blocking_checks(context.instance, blocking_checks)
        if failed:
            raise dg.Failure(
                description=(
                    f"Not published: {len(failed)} blocking check(s) failed on their latest run; "
                    f"{salesops.paths.bi_warehouse} keeps the previous build. " + "; ".join(failed[:10])
                ),
                metadata={"failed_checks": dg.MetadataValue.json(failed)},
            )
        publication = publish_bi_schema(salesops.paths.warehouse, salesops.paths.bi_warehouse, context.run_id)
        context.log.info(
            f"Published {len(publication.row_counts)} tables of build {publication.build_id} to {publication.path} "
            f"({publication.size_bytes:,} bytes)"
        )
        return dg.MaterializeResult(metadata=publication_metadata(publication))

    return publish


def failed_blocking_checks(instance: dg.DagsterInstance, check_keys: Sequence[dg.AssetCheckKey]) -> list[str]:
    """``"<asset> <check>: <description> (run <id>)"`` for each check whose latest evaluation failed with severity error."""
    if not check_keys:
        return []
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(check_keys))
    failed = []
    for key, record in sorted(latest.items(), key=lambda item: item[0].to_user_string()):
        evaluation = record.evaluation if record.status == AssetCheckExecutionRecordStatus.FAILED else None
        if evaluation is not None and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(f"{key.asset_key.to_user_string()} {key.name}: {evaluation.description or 'failed'} (run {record.run_id})")
    return failed


def publication_metadata(publication: Publication) -> dict[str, dg.MetadataValue | int | str]:
    tables = pd.DataFrame(
        [{"table": f"bi.{name}", "rows": rows} for name, rows in publication.row_counts.items()]
    )
    return {
        "path": dg.MetadataValue.path(str(publication.path)),
        "build_run_id": publication.build_id,
        "published_at": publication.published_at.isoformat(timespec="seconds") + "Z",
        "latest_export_day": publication.latest_export_day or "unknown",
        "tables_published": len(publication.row_counts),
        "dagster/row_count": sum(publication.row_counts.values()),
        "file_size_bytes": publication.size_bytes,
        "tables": dg.MetadataValue.md(tables.to_markdown(index=False)),
    }
