"""The code location: every asset, check, job, schedule, sensor and resource, merged in one place."""

from __future__ import annotations

import dagster as dg

from orchestration.alerts import alerts_resource, build_alert_sensor
from orchestration.assets.dbt import build_dbt_assets, dbt_resource
from orchestration.assets.ingest import build_ingest_assets
from orchestration.assets.ml import ml_assets
from orchestration.assets.postgres_publication import postgres_publication_assets
from orchestration.assets.publish import build_publish_asset
from orchestration.assets.report import report_assets
from orchestration.assets.sales_forecast import sales_forecast_assets
from orchestration.checks.kpi_quality import build_kpi_checks
from orchestration.jobs import build_jobs
from orchestration.partitions import daily_export_partitions
from orchestration.resources import salesops_home_resource
from orchestration.schedules import build_schedules
from orchestration.sensors import build_sensors
from orchestration.warehouse import DUCKDB


def build_definitions() -> dg.Definitions:
    partitions = daily_export_partitions()
    ingest = build_ingest_assets(partitions)
    dbt_daily_facts, dbt_warehouse, dbt_sop_and_bi = build_dbt_assets(partitions)
    kpi_checks = build_kpi_checks()
    daily_load, warehouse_build = build_jobs([*ingest, dbt_daily_facts])
    salesops = salesops_home_resource()
    return dg.Definitions.merge(
        dg.Definitions(assets=ingest),
        dg.Definitions(assets=[dbt_daily_facts, dbt_warehouse, dbt_sop_and_bi]),
        dg.Definitions(assets=ml_assets()),
        dg.Definitions(assets=sales_forecast_assets()),
        dg.Definitions(assets=report_assets()),
        dg.Definitions(asset_checks=kpi_checks),
        dg.Definitions(assets=publication_assets(salesops.engine, dbt_warehouse, dbt_sop_and_bi, kpi_checks)),
        dg.Definitions(
            jobs=[daily_load, warehouse_build],
            schedules=build_schedules(daily_load),
            sensors=[*build_sensors(daily_load, warehouse_build, partitions), build_alert_sensor()],
        ),
        dg.Definitions(
            resources={"salesops": salesops, "dbt": dbt_resource(), "alerts": alerts_resource()},
            executor=dg.in_process_executor,
        ),
    )


def publication_assets(
    engine: str,
    dbt_warehouse: dg.AssetsDefinition,
    dbt_sop_and_bi: dg.AssetsDefinition,
    kpi_checks: list[dg.AssetChecksDefinition],
) -> list[dg.AssetsDefinition]:
    """How BI tools get the build: on DuckDB, ``bi.duckdb`` replaced after the blocking checks pass;
    on PostgreSQL, the read-only role's grants on the ``bi`` views."""
    if engine != DUCKDB:
        return postgres_publication_assets(engine, dbt_sop_and_bi)
    publish = build_publish_asset(
        bi_keys=[key for key in dbt_sop_and_bi.keys if dbt_sop_and_bi.group_names_by_key[key] == "bi"],
        blocking_checks=blocking_check_keys([dbt_warehouse, dbt_sop_and_bi, *kpi_checks]),
    )
    return [publish]


def blocking_check_keys(definitions: list[dg.AssetsDefinition | dg.AssetChecksDefinition]) -> list[dg.AssetCheckKey]:
    """The blocking checks of the warehouse build (unpartitioned assets) that publication waits for."""
    return [spec.key for definition in definitions for spec in definition.check_specs if spec.blocking]


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded by Dagster (workspace.yaml) when the code location starts."""
    return build_definitions()
