"""Run one real ``dbt build`` of the project into a temporary home, the way the tests that need a
warehouse without the whole Dagster pipeline do; fail with dbt's own words when anything fails."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from orchestration.settings import dbt_executable

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def dbt_build(home: Path, *selection: str) -> list[dict]:
    """``dbt build <selection>`` against ``home/warehouse.duckdb``; returns dbt's run results."""
    return run_dbt(home, "build", *selection)


def run_dbt(home: Path, command_name: str, *arguments: str) -> list[dict]:
    """``dbt <command_name> <arguments>`` against ``home/warehouse.duckdb``; returns dbt's run results."""
    target = home / "dbt_target"
    command = [
        dbt_executable(), command_name, *arguments,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target), "--log-path", str(home / "dbt_logs"),
    ]
    env = {**os.environ, "SALESOPS_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("SALESOPS_DBT_TARGET", None)
    run = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600)
    results_file = target / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    failed = [(r["unique_id"], r["status"], r.get("message")) for r in results if r["status"] not in ("success", "pass", "no-op")]
    assert run.returncode == 0 and not failed, f"dbt {command_name} failed: {failed}\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    return results
