"""Stage wall times from the step start/end events a Dagster instance records for each run.

Every step of the pipeline's two jobs belongs to one stage, told by its step key (the op name):
ingestion assets are ``raw__<source>__<object>``, the dbt steps ``dbt_<name>``, the forecasts
``demand_forecast`` and ``win_probability``, the blocking KPI checks ``<asset>_kpi_expectations``,
the publish steps ``publish…``, the S&OP report and the PostgreSQL grants. Steps run one after another (in-process executor), so a stage's time is the sum of its
steps' durations; what a run spends outside any step (start-up, definitions, event writing between
steps) is the run's ``other`` time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

STAGES = ("ingest", "dbt", "ml", "checks", "publish")
ML_STEPS = {"demand_forecast", "win_probability"}
# What hands the build to its readers besides bi.duckdb: the planners' HTML report, the PostgreSQL grants.
DELIVERY_STEPS = {"reports__sop_report", "bi__postgres_publication"}


@dataclass(frozen=True)
class StepTiming:
    run_id: str
    job: str
    step_key: str
    start: float  # epoch seconds of STEP_START
    end: float  # epoch seconds of STEP_SUCCESS / STEP_FAILURE
    status: str  # success | failure

    @property
    def seconds(self) -> float:
        return self.end - self.start


def stage_of_step(step_key: str) -> str:
    """The stage a step belongs to; raises for a step no rule knows (a new kind of step needs a rule)."""
    if step_key.startswith("raw__"):
        return "ingest"
    if step_key.startswith("dbt_"):
        return "dbt"
    if step_key in ML_STEPS:
        return "ml"
    if step_key.endswith("_expectations"):
        return "checks"
    if step_key.startswith("publish") or step_key in DELIVERY_STEPS:
        return "publish"
    raise ValueError(f"step {step_key!r}: no benchmark stage for it; add a rule to bench/stages.py stage_of_step")


def stage_seconds(steps: list[StepTiming]) -> dict[str, float | None]:
    """Seconds per stage summed over the steps; a stage with no step is None (not 0: it did not run)."""
    totals: dict[str, float] = defaultdict(float)
    for step in steps:
        totals[stage_of_step(step.step_key)] += step.seconds
    return {stage: (round(totals[stage], 3) if stage in totals else None) for stage in STAGES}


def step_pairs(records: list[tuple[str, str, str, str, float]]) -> list[StepTiming]:
    """Pair (run_id, job, step_key, event_type, timestamp) rows into step timings.

    ``event_type`` is Dagster's ``STEP_START``, ``STEP_SUCCESS`` or ``STEP_FAILURE``; a step that
    started and never ended (a crashed run) raises, as the run's stage times would be wrong.
    """
    started: dict[tuple[str, str], tuple[str, float]] = {}
    steps: list[StepTiming] = []
    for run_id, job, step_key, event_type, timestamp in sorted(records, key=lambda r: r[4]):
        if event_type == "STEP_START":
            started[(run_id, step_key)] = (job, timestamp)
        elif event_type in ("STEP_SUCCESS", "STEP_FAILURE"):
            job_name, start = started.pop((run_id, step_key))
            steps.append(StepTiming(run_id, job_name, step_key, start, timestamp, "success" if event_type == "STEP_SUCCESS" else "failure"))
    if started:
        names = ", ".join(f"{key[1]} (run {key[0][:8]})" for key in started)
        raise ValueError(f"steps started but never ended: {names}")
    return steps


def read_step_timings(dagster_home: Path) -> list[StepTiming]:
    """Every step of every run recorded in the instance at ``dagster_home``, from its events."""
    import dagster as dg
    from dagster._core.events import DagsterEventType

    kinds = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    try:
        records = []
        for run in instance.get_runs():
            for entry in instance.all_logs(run.run_id, of_type=kinds):
                records.append((run.run_id, run.job_name, entry.step_key, entry.dagster_event.event_type_value, entry.timestamp))
    finally:
        instance.dispose()
    return step_pairs(records)
