"""`make run`'s process settings: what it changes for Dagster's storage, and only for itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SYNC_SETTING = """
import sys
import sqlalchemy
from orchestration.run import skip_sqlite_disk_sync

if sys.argv[2] == "make run":
    skip_sqlite_disk_sync()
engine = sqlalchemy.create_engine("sqlite:///" + sys.argv[1])
with engine.connect() as connection:
    print(connection.exec_driver_sql("PRAGMA synchronous").scalar())
"""


def _synchronous(database: Path, process: str) -> str:
    done = subprocess.run([sys.executable, "-c", SYNC_SETTING, str(database), process], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_make_run_commits_sqlite_without_waiting_for_the_disk_and_other_processes_keep_the_default(tmp_path: Path) -> None:
    assert _synchronous(tmp_path / "a.db", "make run") == "0"  # OFF
    assert _synchronous(tmp_path / "b.db", "ui") == "2"  # FULL, SQLite's default
