"""Sensors: new export folders trigger a load of their day; a successful load triggers the warehouse build."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import dagster as dg

from orchestration.ingest.files import discover_export_files
from orchestration.ingest.specs import load_specs
from orchestration.partitions import as_partition_key
from orchestration.resources import SalesopsHome


def export_day_fingerprints(salesops: SalesopsHome, first: date, last: date) -> dict[str, str]:
    """For each export day in [first, last], a fingerprint of its files' names, sizes and modification times."""
    by_day: dict[str, list[str]] = {}
    for spec in load_specs():
        for export in discover_export_files(salesops.paths.landing, spec, first, last):
            stat = export.path.stat()
            by_day.setdefault(as_partition_key(export.export_date), []).append(
                f"{export.path}:{stat.st_size}:{stat.st_mtime_ns}"
            )
    return {day: hashlib.sha256("\n".join(sorted(files)).encode()).hexdigest()[:16] for day, files in by_day.items()}


def build_sensors(
    daily_load: dg.UnresolvedAssetJobDefinition, warehouse_build: dg.UnresolvedAssetJobDefinition, partitions: dg.TimeWindowPartitionsDefinition
) -> list[dg.SensorDefinition]:
    @dg.sensor(job=daily_load, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED)
    def new_export_folders(context: dg.SensorEvaluationContext, salesops: SalesopsHome):
        """Request a load of every export day whose files appeared or changed since the last look."""
        keys = partitions.get_partition_keys()
        if not keys:
            return dg.SkipReason("no partitions yet")
        seen = json.loads(context.cursor) if context.cursor else {}
        current = export_day_fingerprints(salesops, date.fromisoformat(keys[0]), date.fromisoformat(keys[-1]))
        changed = sorted(day for day, fingerprint in current.items() if seen.get(day) != fingerprint)
        context.update_cursor(json.dumps(current))
        if not changed:
            return dg.SkipReason("no new or changed export files")
        return [dg.RunRequest(run_key=f"{day}:{current[day]}", partition_key=day) for day in changed]

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[daily_load],
        request_job=warehouse_build,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def build_warehouse_after_load(context: dg.RunStatusSensorContext):
        """After every successful load (scheduled, sensed or a backfill), rebuild marts, checks and forecasts."""
        return dg.RunRequest(run_key=f"after-{context.dagster_run.run_id}")

    return [new_export_folders, build_warehouse_after_load]
