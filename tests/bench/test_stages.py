"""Stage times from the step events a real Dagster instance records."""

from __future__ import annotations

import time
from pathlib import Path

import dagster as dg
import pytest

from bench.stages import StepTiming, read_step_timings, stage_of_step, stage_seconds, step_pairs


@pytest.mark.parametrize(
    ("step_key", "stage"),
    [
        ("raw__erp__sales_order_lines", "ingest"),
        ("dbt_daily_facts", "dbt"),
        ("dbt_sop_and_bi", "dbt"),
        ("demand_forecast", "ml"),
        ("marts__kpi_sales_monthly_kpi_expectations", "checks"),
        ("publish_bi_warehouse", "publish"),
    ],
)
def test_each_step_of_the_pipeline_belongs_to_its_stage(step_key: str, stage: str) -> None:
    assert stage_of_step(step_key) == stage


def test_a_step_no_rule_knows_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="'mystery_step'"):
        stage_of_step("mystery_step")


def test_steps_pair_start_and_end_per_run_and_stages_sum_them() -> None:
    records = [
        ("r1", "daily_load", "raw__crm__users", "STEP_START", 10.0),
        ("r1", "daily_load", "raw__crm__users", "STEP_SUCCESS", 12.5),
        ("r1", "daily_load", "raw__erp__products", "STEP_START", 12.6),
        ("r1", "daily_load", "raw__erp__products", "STEP_SUCCESS", 13.6),
        ("r1", "daily_load", "dbt_daily_facts", "STEP_START", 13.7),
        ("r1", "daily_load", "dbt_daily_facts", "STEP_FAILURE", 20.7),
        ("r2", "warehouse_build", "raw__crm__users", "STEP_START", 30.0),  # another run, same step key
        ("r2", "warehouse_build", "raw__crm__users", "STEP_SUCCESS", 30.5),
    ]
    steps = step_pairs(records)
    assert [(s.run_id, s.step_key, s.seconds, s.status) for s in steps] == [
        ("r1", "raw__crm__users", 2.5, "success"),
        ("r1", "raw__erp__products", 1.0, "success"),
        ("r1", "dbt_daily_facts", 7.0, "failure"),
        ("r2", "raw__crm__users", 0.5, "success"),
    ]
    assert stage_seconds(steps) == {"ingest": 4.0, "dbt": 7.0, "ml": None, "checks": None, "publish": None}


def test_a_step_that_never_ended_is_an_error() -> None:
    with pytest.raises(ValueError, match="raw__crm__users"):
        step_pairs([("r1", "daily_load", "raw__crm__users", "STEP_START", 1.0)])


def test_step_timings_are_read_from_the_events_of_a_real_instance(tmp_path: Path) -> None:
    @dg.op
    def raw__crm__users() -> int:
        time.sleep(0.3)
        return 1

    @dg.op
    def dbt_warehouse(value: int) -> int:
        time.sleep(0.2)
        return value

    @dg.job(executor_def=dg.in_process_executor)
    def tiny() -> None:
        dbt_warehouse(raw__crm__users())

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        run_id = tiny.execute_in_process(instance=instance).run_id
        events = {e.step_key + ":" + e.dagster_event.event_type_value: e.timestamp for e in instance.all_logs(run_id) if e.is_dagster_event and e.step_key}
    steps = {s.step_key: s for s in read_step_timings(tmp_path)}
    assert set(steps) == {"raw__crm__users", "dbt_warehouse"}
    for key, step in steps.items():
        assert step.run_id == run_id and step.job == "tiny"
        assert step.seconds == events[f"{key}:STEP_SUCCESS"] - events[f"{key}:STEP_START"]
    assert steps["raw__crm__users"].seconds >= 0.3 and steps["dbt_warehouse"].seconds >= 0.2
    stages = stage_seconds(list(steps.values()))
    assert stages["ingest"] == round(steps["raw__crm__users"].seconds, 3) and stages["dbt"] == round(steps["dbt_warehouse"].seconds, 3)


def test_step_duration_is_end_minus_start() -> None:
    assert StepTiming("r", "j", "demand_forecast", 100.0, 104.25, "success").seconds == 4.25


def test_every_step_of_the_pipelines_jobs_has_a_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.definitions import build_definitions
    from orchestration.jobs import DAILY_LOAD_JOB, WAREHOUSE_BUILD_JOB

    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    defs = build_definitions()
    stages = {node.name: stage_of_step(node.name) for job in (DAILY_LOAD_JOB, WAREHOUSE_BUILD_JOB) for node in defs.resolve_job_def(job).graph.nodes}
    assert {stage for stage in stages.values()} == {"ingest", "dbt", "ml", "checks", "publish"}
    assert {step for step, stage in stages.items() if stage == "ml"} == {"demand_forecast", "win_probability"}
    assert stages["reports__sop_report"] == "publish"
    assert sum(stage == "ingest" for stage in stages.values()) == 16
