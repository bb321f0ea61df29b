"""The two jobs: the daily load (partitioned) and the warehouse build that follows it."""

from __future__ import annotations

import dagster as dg

DAILY_LOAD_JOB = "daily_load"
WAREHOUSE_BUILD_JOB = "warehouse_build"


def build_jobs(partitioned_assets: list[dg.AssetsDefinition]) -> list[dg.UnresolvedAssetJobDefinition]:
    """``daily_load``: ingestion and incremental facts for a range of export days; ``warehouse_build``: the rest."""
    partitioned = dg.AssetSelection.assets(*partitioned_assets)
    daily_load = dg.define_asset_job(
        DAILY_LOAD_JOB,
        selection=partitioned,
        description="Load a range of export days into raw and update the incremental facts (one run per range).",
    )
    warehouse_build = dg.define_asset_job(
        WAREHOUSE_BUILD_JOB,
        selection=dg.AssetSelection.all(include_sources=False) - partitioned,
        description="Rebuild dimensions and KPI marts, run the quality checks, forecast.",
    )
    return [daily_load, warehouse_build]
