"""The code location: every asset, check, job, schedule, sensor and resource, merged in one place."""

from __future__ import annotations

import dagster as dg

from orchestration.alerts import alerts_resource, build_alert_sensor
from orchestration.assets.dbt import build_dbt_assets, dbt_resource
from orchestration.assets.ingest import build_ingest_assets
from orchestration.assets.ml import ml_assets
from orchestration.assets.postgres_publication import postgres_publication_assets
from orchestration.assets.report import report_assets
from orchestration.assets.sales_forecast import sales_forecast_assets
from orchestration.checks.kpi_quality import build_kpi_checks
from orchestration.jobs import build_jobs
from orchestration.partitions import daily_export_partitions
from orchestration.resources import salesops_home_resource
from orchestration.schedules import build_schedules
from orchestration.sensors import build_sensors


def build_definitions() -> dg.Definitions:
    partitions = daily_export_partitions()
    ingest = build_ingest_assets(partitions)
    dbt_daily_facts, dbt_warehouse, dbt_sop_and_bi = build_dbt_assets(partitions)
    daily_load, warehouse_build = build_jobs([*ingest, dbt_daily_facts])
    salesops = salesops_home_resource()
    return dg.Definitions.merge(
        dg.Definitions(assets=ingest),
        dg.Definitions(assets=[dbt_daily_facts, dbt_warehouse, dbt_sop_and_bi]),
        dg.Definitions(assets=ml_assets()),
        dg.Definitions(assets=postgres_publication_assets(salesops.engine, dbt_sop_and_bi)),
        dg.Definitions(assets=sales_forecast_assets()),
        dg.Definitions(assets=report_assets()),
        dg.Definitions(asset_checks=build_kpi_checks()),
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


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded by Dagster (workspace.yaml) when the code location starts."""
    return build_definitions()
