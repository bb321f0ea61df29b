"""What the reliability tests share: a tiny company, homes with export days held back, the pipeline
as a separate process that can be killed, a BI reader process, and table checksums.

Everything here runs the real pipeline (DuckDB, dbt, Dagster) on real files; nothing is simulated.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]

# A tiny company: a year of history, the last four weeks as daily exports. The pipeline's cost here
# is dbt's and Dagster's start-up, not the data.
TINY_START = date(2024, 3, 1)
TINY_END = date(2025, 2, 28)
TINY_FIRST_EXPORT = date(2025, 2, 1)
TINY_SCALE = 0.02

# Columns whose values say when or in which run something happened, not what the data is: left out
# of the checksums that compare a re-run with a clean run (docs/publication.md lists why).
VOLATILE_COLUMNS = frozenset({
    "_loaded_at",  # raw rows: when they were loaded
    "loaded_at", "load_id", "rejected_at",  # load manifest and rejected rows: which load, when
    "run_id", "created_at", "forecast_run_id",  # forecasts: which Dagster run, when
    "dbt_valid_from", "dbt_valid_to", "dbt_updated_at", "dbt_scd_id",  # snapshots of check-strategy sources: build time
    "build_id", "published_at",  # bi.duckdb's publication.build
})
# The load manifest logs every load attempt (a killed run's committed loads stay logged); what must
# converge is each file's latest entry.
TABLE_QUERIES = {
    "raw._load_manifest": (
        "select * exclude (newest) from (select *, row_number() over (partition by source, object, export_date, "
        "source_file order by loaded_at desc) as newest from raw._load_manifest) where newest = 1"
    ),
}


def generate_tiny_company(target: Path) -> Path:
    from demo_company import DemoConfig, generate

    generate(target, DemoConfig(seed=7, scale=TINY_SCALE, start=TINY_START, end=TINY_END, first_export=TINY_FIRST_EXPORT))
    return target


def copy_landing(source: Path, home: Path, first: date | None = None, last: date | None = None) -> None:
    """Copy the export-day folders of ``source``/landing with days in [first, last] into ``home``/landing
    (modification times kept: ingestion orders a day's files by them)."""
    for day_folder in sorted((source / "landing").glob("*/*/*")):
        day = date.fromisoformat(day_folder.name)
        if (first is None or day >= first) and (last is None or day <= last):
            shutil.copytree(day_folder, home / "landing" / day_folder.relative_to(source / "landing"), dirs_exist_ok=True)


def replace_home(home: Path, snapshot: Path) -> None:
    """Make ``home`` an exact copy of ``snapshot`` (same path every time: raw rows record file paths)."""
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(snapshot, home)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_pipeline_in_process(home: Path, build_only: bool = False) -> None:
    """What `make run` does (or, ``build_only``, its ``warehouse_build`` job alone, as re-executing a
    failed build does), in this process, recorded in an in-memory Dagster instance."""
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.jobs import WAREHOUSE_BUILD_JOB
    from orchestration.run import PLANNED_EVENTS_AS_RANGES, run_pipeline
    from orchestration.settings import environment_set, salesops_paths

    with environment_set({"SALESOPS_HOME": str(home), PLANNED_EVENTS_AS_RANGES: "true"}):
        if build_only:
            assert build_definitions().resolve_job_def(WAREHOUSE_BUILD_JOB).execute_in_process(instance=dg.DagsterInstance.ephemeral()).success
        else:
            load, build = run_pipeline(salesops_paths(home), dg.DagsterInstance.ephemeral())
            assert load.success and build.success


def process_environment(home: Path, dagster_home: Path) -> dict[str, str]:
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "orchestration" / "dagster.yaml", dagster_home / "dagster.yaml")
    return {**os.environ, "SALESOPS_HOME": str(home), "DAGSTER_HOME": str(dagster_home), "PYTHONUNBUFFERED": "1"}


def start_process(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A process in a session of its own, so that it and every child it starts can be killed together."""
    with log.open("wb") as output:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def start_pipeline(home: Path, dagster_home: Path, log: Path) -> subprocess.Popen:
    """`python -m orchestration.run` (what `make run` runs) as a separate process recording in ``dagster_home``."""
    return start_process([sys.executable, "-m", "orchestration.run", "--home", str(home)], process_environment(home, dagster_home), log)


def kill_process_group(process: subprocess.Popen) -> None:
    """``kill -9`` the process and its children (dbt), as a machine dying would, and wait until none is left."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"processes of group {process.pid} still alive 30 s after SIGKILL")


def wait_until(condition: Callable[[], bool], process: subprocess.Popen, log: Path, what: str, timeout: float = 900) -> None:
    """Poll ``condition`` until it holds; fail, naming ``what`` and the log, if the process ends or time runs out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError(f"the pipeline ended (exit {process.returncode}) before {what}; see {log}")
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s; see {log}")


def finish(process: subprocess.Popen, log: Path, timeout: float = 900) -> None:
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_process_group(process)
        raise AssertionError(f"the pipeline did not finish within {timeout:.0f} s; see {log}") from None
    assert code == 0, f"the pipeline failed (exit {code}); see {log}:\n{log.read_text()[-3000:]}"


# --- the BI reader ------------------------------------------------------------------------------


@contextmanager
def bi_reader(published: Path, workdir: Path) -> Iterator[list[dict]]:
    """A separate process reading ``published`` in a loop (tests/reliability/bi_reader.py) while the block
    runs; afterwards the list holds every snapshot it saw (and every error it got)."""
    observations: list[dict] = []
    output, stop = workdir / "reader.jsonl", workdir / "reader.stop"
    stop.unlink(missing_ok=True)
    process = start_process(
        [sys.executable, "-m", "tests.reliability.bi_reader", str(published), str(output), str(stop)],
        {**os.environ, "PYTHONUNBUFFERED": "1"},
        workdir / "reader.log",
    )
    try:
        while not output.exists() or not output.read_text().strip():  # first snapshot read: the reader is going
            assert process.poll() is None, f"the BI reader ended: {(workdir / 'reader.log').read_text()[-2000:]}"
            time.sleep(0.1)
        yield observations
    finally:
        stop.touch()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            kill_process_group(process)
        observations.extend(json.loads(line) for line in output.read_text().splitlines() if line.strip())


# --- checksums ----------------------------------------------------------------------------------


def table_checksums(database: Path) -> dict[str, tuple[int, int]]:
    """Per relation of ``database``: (rows, order-independent checksum of its rows without VOLATILE_COLUMNS).

    Doubles are rounded to 9 decimals first: DuckDB sums them in parallel, and the order of the
    additions may change the last bits of a total from one build to the next.
    """
    checksums = {}
    with duckdb.connect(str(database), read_only=True) as conn:
        relations = conn.execute(
            "select table_schema, table_name from information_schema.tables order by all"
        ).fetchall()
        for schema, table in relations:
            name = f"{schema}.{table}"
            columns = conn.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            kept = [
                f'round("{column}", 9)' if kind in ("DOUBLE", "FLOAT") else f'"{column}"'
                for column, kind in columns
                if column not in VOLATILE_COLUMNS
            ]
            source = TABLE_QUERIES.get(name, f'select * from "{schema}"."{table}"')
            rows, total = conn.execute(
                f"select count(*), coalesce(sum(hash({', '.join(kept)})::hugeint), 0) from ({source})"
            ).fetchone()
            checksums[name] = (rows, int(total))
    return checksums


def differences(actual: dict[str, tuple[int, int]], expected: dict[str, tuple[int, int]]) -> list[str]:
    """Readable differences between two checksum maps (empty when they are equal)."""
    found = []
    for name in sorted(set(actual) | set(expected)):
        if name not in expected:
            found.append(f"{name}: only after the re-run ({actual[name][0]} rows)")
        elif name not in actual:
            found.append(f"{name}: only after the clean run ({expected[name][0]} rows)")
        elif actual[name] != expected[name]:
            found.append(f"{name}: {actual[name][0]} rows, checksum {actual[name][1]} vs {expected[name][0]} rows, {expected[name][1]}")
    return found
