"""Runs through a real Dagster instance with the project's dagster.yaml: a run queue, a daemon, and the
warehouse pool of limit 1; then what a failing blocking check does to publication.

The published build holds the tiny company's exports up to 2025-02-24; the last four export days
then land, and an analyst's backfill of those days and a warehouse build are submitted one right
after the other (`dagster job launch`, as the UI or a schedule would). A BI reader reads bi.duckdb throughout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from tests.reliability import support

pytestmark = pytest.mark.reliability

LAST_PUBLISHED_DAY = date(2025, 2, 24)
BACKFILL = ("2025-02-25", "2025-02-28")
WORKSPACE = str(support.REPO / "workspace.yaml")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, tiny_company: Path) -> Path:
    home = tmp_path_factory.mktemp("queue") / "home"
    support.copy_landing(tiny_company, home, last=LAST_PUBLISHED_DAY)
    support.run_pipeline_in_process(home)
    return home


def dagster_cli(*arguments: str) -> list[str]:
    return [str(Path(sys.executable).with_name("dagster")), *arguments, "-w", WORKSPACE]


def run_records(instance: dg.DagsterInstance) -> list[dg.RunRecord]:
    return sorted(instance.get_run_records(), key=lambda record: record.create_timestamp)


def wait_for_runs(instance: dg.DagsterInstance, count: int, daemon: subprocess.Popen, log: Path, timeout: float = 900) -> list[dg.RunRecord]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = run_records(instance)
        if len(records) >= count and all(r.dagster_run.is_finished for r in records):
            return records
        assert daemon.poll() is None, f"the daemon ended; see {log}"
        time.sleep(1)
    raise AssertionError(f"runs not finished within {timeout:.0f} s: {[(r.dagster_run.job_name, r.dagster_run.status) for r in run_records(instance)]}; see {log}")


def test_two_runs_started_at_once_both_succeed_one_after_the_other_while_a_reader_sees_the_backfill_arrive(
    home: Path, tiny_company: Path, tmp_path: Path
) -> None:
    support.copy_landing(tiny_company, home, first=date.fromisoformat(BACKFILL[0]))
    dagster_home = tmp_path / "dagster_home"
    env = support.process_environment(home, dagster_home)
    # The build the sensor would add after the load is not part of this test: stop it the operator's way.
    subprocess.run(dagster_cli("sensor", "stop", "build_warehouse_after_load"), cwd=support.REPO, env=env, check=True, capture_output=True)
    daemon_log = tmp_path / "daemon.log"
    daemon = support.start_process([str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", WORKSPACE], env, daemon_log)
    try:
        with support.bi_reader(home / "bi.duckdb", tmp_path) as observations:
            # Submitted one right after the other (in this order: the queue is first in, first out), the
            # build while the load is still queued or running.
            tags = json.dumps({ASSET_PARTITION_RANGE_START_TAG: BACKFILL[0], ASSET_PARTITION_RANGE_END_TAG: BACKFILL[1]})
            for launch in (("-j", "daily_load", "--tags", tags), ("-j", "warehouse_build")):
                subprocess.run(dagster_cli("job", "launch", *launch), cwd=support.REPO, env=env, check=True, timeout=300)
            instance = dg.DagsterInstance.from_config(str(dagster_home))
            load, build = wait_for_runs(instance, 2, daemon, daemon_log)
    finally:
        support.kill_process_group(daemon)

    assert [(r.dagster_run.job_name, r.dagster_run.status) for r in (load, build)] == [
        ("daily_load", dg.DagsterRunStatus.SUCCESS), ("warehouse_build", dg.DagsterRunStatus.SUCCESS)
    ]
    # both in the queue together (max_concurrent_runs is 4), yet the build started only after the load ended
    for record in (load, build):
        assert instance.all_logs(record.dagster_run.run_id, of_type=DagsterEventType.RUN_ENQUEUED)
    assert build.create_timestamp.timestamp() < load.end_time
    assert build.start_time >= load.end_time
    materialized = instance.get_materialized_partitions(dg.AssetKey(["raw", "erp__sales_order_lines"]))
    assert {"2025-02-25", "2025-02-26", "2025-02-27", "2025-02-28"} <= materialized

    assert [o["error"] for o in observations if "error" in o] == []
    assert [o for o in observations if o["wrong_row_counts"] or o["unreconciled_months"]] == []
    builds = list(dict.fromkeys(o["build_id"] for o in observations))
    assert len(builds) == 2 and builds[1] == build.dagster_run.run_id
    assert {o["latest_export_day"] for o in observations if o["build_id"] == builds[0]} == {str(LAST_PUBLISHED_DAY)}
    assert {o["latest_export_day"] for o in observations if o["build_id"] == builds[1]} == {BACKFILL[1]}


def test_a_failing_blocking_check_stops_publication_and_publish_alone_says_which(home: Path) -> None:
    from orchestration.assets.publish import PUBLISH_KEY
    from orchestration.definitions import build_definitions
    from orchestration.warehouse import warehouse_connection

    published_before = support.sha256(home / "bi.duckdb")
    # won deals with negative amounts got past ingestion and the daily load (which builds staging)
    with warehouse_connection(home / "warehouse.duckdb") as conn:
        changed = conn.execute("update staging.stg_crm__opportunities set amount = -amount where stage_name = 'Closed Won' and amount > 0").fetchone()[0]
    assert changed > 0
    instance = dg.DagsterInstance.ephemeral()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SALESOPS_HOME", str(home))
        build_job = build_definitions().resolve_job_def("warehouse_build")
        build = build_job.execute_in_process(instance=instance, raise_on_error=False)
        alone = build_job.execute_in_process(instance=instance, raise_on_error=False, asset_selection=[PUBLISH_KEY])

    assert not build.success
    failed = [(e.asset_key.to_user_string(), e.check_name) for e in build.get_asset_check_evaluations() if not e.passed]
    assert ("marts/kpi_sales_monthly", "value_between_kpi_sales_monthly_bookings_amount__0") in failed, failed
    assert build.asset_materializations_for_node("publish") == []
    assert support.sha256(home / "bi.duckdb") == published_before

    assert not alone.success
    message = alone.get_step_failure_events()[0].step_failure_data.user_failure_data.description
    assert message.startswith("Not published:") and "marts/kpi_sales_monthly value_between_kpi_sales_monthly_bookings_amount__0" in message
    assert support.sha256(home / "bi.duckdb") == published_before
