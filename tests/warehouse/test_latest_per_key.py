"""latest_per_key's DuckDB variant (which fingerprints only tied versions) picks the same version as
the reference implementation on versions that tie on everything but the fingerprint."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from orchestration.settings import dbt_executable
from tests.dbt_build import DBT_PROJECT_DIR

TIES_SQL = Path(__file__).with_name("latest_per_key_ties.sql")


def test_duckdb_variant_breaks_ties_like_the_reference(tmp_path: Path) -> None:
    env = {**os.environ, "SALESOPS_HOME": str(tmp_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("SALESOPS_DBT_TARGET", None)
    shown = subprocess.run(
        [
            dbt_executable(), "show", "--inline", TIES_SQL.read_text(), "--output", "json", "--limit", "100",
            "--log-format", "json", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(tmp_path / "dbt_target"), "--log-path", str(tmp_path / "dbt_logs"),
        ],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    assert shown.returncode == 0, shown.stdout[-3000:] + shown.stderr[-2000:]
    previews = [json.loads(line)["data"]["preview"] for line in shown.stdout.splitlines() if '"preview"' in line]
    assert len(previews) == 1, shown.stdout[-3000:]
    assert json.loads(previews[0]) == []
