"""Where the full run's wall time goes: py-spy over `make run`'s command, folded into a few categories.

    python -m bench.profile --scale 10k      # writes bench/work/profile-<scale>/{profile.txt,summary.json}

py-spy samples every thread of the pipeline process and of its dbt subprocesses 20 times a second,
idle ones included (``--idle``), so the main thread's samples add up to the run's wall time. Its
samples are sorted by the first rule their stack matches (MAIN_RULES); while the main thread waits
for dbt, the dbt process's own samples say what dbt was doing (DBT_RULES).
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

from bench.harness import ROOT, SEED, WORK, environment
from bench.scales import SCALES

RATE = 20
# (category, substrings any of which in the stack selects it), first match wins
MAIN_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("waiting for dbt (see dbt rows)", ("dagster_dbt/core/dbt_cli_invocation.py", "dagster_dbt/core/dbt_event_iterator.py", "_stream_stdout")),
    ("ingestion: our loader in DuckDB", ("orchestration/ingest/",)),
    ("Great Expectations checks", ("great_expectations/", "data_quality/")),
    ("ML forecast", ("ml/forecasting", "ml/backtest", "sklearn/")),
    ("Dagster event storage (SQLite)", ("store_event", "sqlalchemy/", "sqlite")),
    ("imports (start-up)", ("_find_and_load",)),
    ("definitions and dbt manifest", ("build_definitions", "salesops_dbt_project", "dbt_assets", "manifest")),
    ("KPI summary", ("orchestration/summary.py",)),
    ("Dagster orchestration (other)", ("dagster/",)),
]
DBT_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("dbt: SQL running in DuckDB", ("duckdb/", "adapters/duckdb", "add_query", "cursor")),
    ("dbt: imports", ("_find_and_load",)),
    ("dbt: parse / load manifest", ("parser/", "ManifestLoader", "manifest.py", "msgpack")),
    ("dbt: compile (Jinja)", ("jinja2/", "compilation.py", "clients/jinja")),
    ("dbt: other", ("",)),
]
LINE = re.compile(r'^process (\d+):"(.*)";thread \((\d+)\): ([^;]*);(.*) (\d+)$')


def classify(stack: str, rules: list[tuple[str, tuple[str, ...]]]) -> str:
    for category, needles in rules:
        if any(needle in stack for needle in needles):
            return category
    return "other"


def is_dbt(command: str) -> bool:
    return any(part.endswith("/dbt") or part == "dbt" for part in command.split()[:2])


def summarize(raw: str, rate: int = RATE) -> dict[str, float]:
    """Seconds per category of the main threads' samples in py-spy's raw output (--threads --idle --subprocesses)."""
    seconds: Counter[str] = Counter()
    for line in raw.splitlines():
        match = LINE.match(line)
        if not match or match.group(4) != "MainThread":
            continue
        command, stack, count = match.group(2), match.group(5), int(match.group(6))
        rules = DBT_RULES if is_dbt(command) else MAIN_RULES
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
