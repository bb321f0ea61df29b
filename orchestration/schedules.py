"""The daily schedule: every morning, load yesterday's exports."""

from __future__ import annotations

import dagster as dg


def build_schedules(daily_load: dg.UnresolvedAssetJobDefinition) -> list[dg.ScheduleDefinition]:
    return [
        dg.build_schedule_from_partitioned_job(
            daily_load, hour_of_day=6, minute_of_hour=0, name="daily_load_schedule",
            description="06:00 UTC: load the previous day's exports; the warehouse build follows on success.",
        )
    ]
