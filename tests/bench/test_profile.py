"""Folding py-spy's raw samples (as `py-spy record --format raw --threads --idle --subprocesses` writes them) into categories."""

from __future__ import annotations

from bench.profile import summarize

PIPELINE = 'process 100:"/x/.venv/bin/python -m orchestration.run --home /h"'
DBT = PIPELINE + ';process 200:"/x/.venv/bin/python /x/.venv/bin/dbt build --target duckdb"'  # a subprocess: its parent's frame first
RAW = "\n".join(
    [
        f"{PIPELINE};thread (100): MainThread;_run_module_as_main (<frozen runpy>:198);_find_and_load (<frozen importlib._bootstrap>:1176) 40",
        f"{PIPELINE};thread (100): MainThread;_run_module_as_main (<frozen runpy>:198);load_export_days (orchestration/ingest/loader.py:160) 60",
        f"{PIPELINE};thread (100): MainThread;_run_module_as_main (<frozen runpy>:198);DbtCliInvocation._stream_stdout (dagster_dbt/core/dbt_cli_invocation.py:300) 200",
        f"{PIPELINE};thread (100): MainThread;_run_module_as_main (<frozen runpy>:198);store_event (dagster/_core/storage/event_log/sql_event_log.py:1) 30",
        f"{PIPELINE};thread (101): Thread-3 (poll);run (threading.py:982) 330",  # not the main thread: not counted
        f"{DBT};thread (200): MainThread;<module> (dbt:8);_find_and_load (<frozen importlib._bootstrap>:1176) 50",
        f"{DBT};thread (200): MainThread;<module> (dbt:8);execute_nodes (dbt/task/runnable.py:443) 90",
        f"{DBT};thread (200): MainThread;<module> (dbt:8);main (dbt/cli/main.py:1) 10",
        f"{DBT};thread (201): Thread-1 (worker);execute (dbt/adapters/duckdb/environments/local.py:30) 120",
        f"{DBT};thread (201): Thread-1 (worker);render (jinja2/environment.py:1) 20",
        f"{DBT};thread (202): Thread-2 (worker);Queue.get (queue.py:171) 30",
        'process 300:"/x/python -c from multiprocessing.resource_tracker import main";thread (300): MainThread;main (multiprocessing/resource_tracker.py:227) 500',
    ]
)


def test_main_thread_samples_fold_into_categories_in_seconds_at_20_per_second() -> None:
    assert summarize(RAW, rate=20) == {
        "waiting for the dbt subprocess (see dbt rows)": 10.0,
        "dbt workers: SQL in DuckDB": 6.0,
        "dbt: nodes running (worker threads)": 4.5,
        "dbt workers: waiting": 1.5,
        "ingestion: our loader in DuckDB": 3.0,
        "dbt: imports": 2.5,
        "imports (start-up)": 2.0,
        "Dagster event storage (SQLite)": 1.5,
        "dbt workers: compile (Jinja)": 1.0,
        "dbt: other start-up and shutdown": 0.5,
    }
