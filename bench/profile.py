"""Where the full run's wall time goes: py-spy over `make run`'s command, folded into a few categories.

    python -m bench.profile --scale 10k      # writes bench/work/profile-<scale>/{profile.txt,summary.json}

py-spy samples every thread of the pipeline process and of its dbt subprocesses 20 times a second,
idle ones included (``--idle``), so the pipeline's main thread's samples add up to the run's wall
time. Samples are sorted by the first rule their stack matches: the pipeline's main thread by
MAIN_RULES; while it waits for dbt, the dbt process's main thread (DBT_MAIN_RULES) says what dbt was
doing, and its worker threads (DBT_WORKER_RULES) where the node-building thread-seconds went.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.harness import PARSE, ROOT, SEED, WORK, environment
from bench.scales import SCALES

RATE = 20
# (category, substrings any of which in the stack selects it), first match wins.
# The pipeline process's main thread: its samples add up to the run's wall time.
MAIN_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("Dagster event storage (SQLite)", ("store_event", "sqlalchemy/", "sqlite3")),
    ("waiting for the dbt subprocess (see dbt rows)", ("_stream_stdout", "stream_raw_events")),
    ("imports (start-up)", ("_find_and_load",)),
    ("dagster-dbt in-process dbt setup (adapter, profile)", ("dagster_dbt/",)),
    ("ingestion: our loader in DuckDB", ("orchestration/ingest/",)),
    ("Great Expectations checks", ("great_expectations/", "data_quality/")),
    ("ML forecast", ("ml/forecasting", "ml/backtest", "sklearn/")),
    ("definitions", ("build_definitions", "salesops_dbt_project", "definitions.py")),
    ("KPI summary", ("orchestration/summary.py",)),
    ("Dagster orchestration (other)", ("dagster/",)),
    ("interpreter start and exit (no Python frame)", ("",)),
]
# The main thread of each dbt process (dbt builds nodes in worker threads while it waits).
DBT_MAIN_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("dbt: imports", ("_find_and_load",)),
    ("dbt: nodes running (worker threads)", ("execute_nodes", "run_queue")),
    ("dbt: parse / load manifest", ("parser/", "ManifestLoader", "manifest", "msgpack")),
    ("dbt: other start-up and shutdown", ("",)),
]
# dbt's worker threads: thread-seconds, several at once (profile threads: 4).
DBT_WORKER_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("dbt workers: SQL in DuckDB", ("duckdb/", "adapters/duckdb", "cursor", "add_query")),
    ("dbt workers: compile (Jinja)", ("jinja2/", "compilation.py", "clients/jinja")),
    ("dbt workers: waiting", ("Condition.wait", "Queue.get", "_wait_for_tstate_lock", "Event.wait")),
    ("dbt workers: other", ("",)),
]
PROCESS = re.compile(r'(?:^|;)process \d+:"')
SAMPLE = re.compile(r'process (\d+):"(.*?)";thread \((\d+)\): ([^;]*);?(.*)$')


def classify(stack: str, rules: list[tuple[str, tuple[str, ...]]]) -> str:
    for category, needles in rules:
        if any(needle in stack for needle in needles):
            return category
    return "other"


def is_dbt(command: str) -> bool:
    return any(part.endswith("/dbt") or part == "dbt" for part in command.split()[:2])


def parse_sample(line: str) -> tuple[str, str, str, int] | None:
    """(command, thread name, stack, count) of one raw line; a subprocess's lines carry its parents' frames first."""
    body, _, count = line.rpartition(" ")
    starts = [m.start() for m in PROCESS.finditer(body)]
    if not starts or not count.isdigit():
        return None
    match = SAMPLE.match(body[starts[-1]:].lstrip(";"))
    return (match.group(2), match.group(4), match.group(5), int(count)) if match else None


def summarize(raw: str, rate: int = RATE) -> dict[str, float]:
    """Seconds per category from py-spy's raw output (--threads --idle --subprocesses)."""
    seconds: Counter[str] = Counter()
    for line in raw.splitlines():
        sample = parse_sample(line)
        if sample is None:
            continue
        command, thread, stack, count = sample
        if is_dbt(command):
            rules = DBT_MAIN_RULES if thread == "MainThread" else DBT_WORKER_RULES if "worker" in thread else None
        elif "orchestration.run" in command and thread == "MainThread":
            rules = MAIN_RULES
        else:
            rules = None  # Dagster's helper threads, multiprocessing's resource tracker: idle
        if rules:
            seconds[classify(stack, rules)] += count / rate
    return {k: round(v, 1) for k, v in seconds.most_common()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--scale", default="10k", choices=list(SCALES))
    args = parser.parse_args(argv)
    work = WORK / f"profile-{args.scale}"
    if work.exists():
        shutil.rmtree(work)
    home = work / "home"
    subprocess.run([sys.executable, "-m", "demo_company", "--home", str(home), "--scale", str(SCALES[args.scale]), "--seed", str(SEED)], cwd=ROOT, check=True)
    subprocess.run([sys.executable, "-c", PARSE], cwd=ROOT, check=True, env=environment(home, work / "parse_dagster_home"))
    raw = work / "profile.txt"
    py_spy = Path(sys.executable).with_name("py-spy")
    subprocess.run(
        [str(py_spy), "record", "--format", "raw", "--rate", str(RATE), "--subprocesses", "--idle", "--threads", "-o", str(raw), "--",
         sys.executable, "-m", "orchestration.run", "--home", str(home)],
        env=environment(home, home / "dagster_home"), cwd=ROOT, check=True, stdout=open(work / "run.log", "w"), stderr=subprocess.STDOUT,
    )
    summary = summarize(raw.read_text())
    (work / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
