"""One benchmark scale end to end: generate, full pipeline, floor, both ingestions, one-day run.

Every measurement is a subprocess timed from the outside (wall time) whose process tree's memory is
sampled (bench/rss.py); stage times come from the step events the run's Dagster instance recorded
(bench/stages.py). Each scale works in ``bench/work/<scale>/``, replaced on every run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from bench.ratios import incremental_ratio, ingest_memory_ratio_vs_pandas, ingest_speedup_vs_pandas, ratio_floor
from bench.rss import Measured, run_measured
from bench.scales import SCALES
from bench.stages import StepTiming, read_step_timings, stage_seconds

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "work"
DBT_TARGET = ROOT / "dbt_project" / "target"
PANDAS_PYTHON = WORK / "pandas-venv" / "bin" / "python"
SEED = 42
# dbt's partial parse is valid only for the profile (which holds SALESOPS_HOME's path) and vars it was
# parsed with, so the manifest is parsed again for each scale's home, as a first `make run` does.
PARSE = """
from orchestration.assets.dbt import InstalledDbtCliResource, salesops_dbt_project
from orchestration.settings import dbt_executable
project = salesops_dbt_project()
InstalledDbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(["parse", "--quiet"], target_path=project.target_path).wait()
"""


def environment(home: Path, dagster_home: Path) -> dict[str, str]:
    """The environment of a measured run: its own SALESOPS_HOME and Dagster instance, nothing inherited that moves partitions."""
    env = {k: v for k, v in os.environ.items() if k not in ("SALESOPS_HISTORY_START", "PYTHONDONTWRITEBYTECODE")}
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", dagster_home / "dagster.yaml")
    return {**env, "SALESOPS_HOME": str(home), "DAGSTER_HOME": str(dagster_home)}


def export_days(landing: Path) -> list[date]:
    return sorted({date.fromisoformat(d.name) for d in landing.glob("*/*/*") if d.is_dir()})


def move_day(landing: Path, held: Path, day: date, back: bool = False) -> None:
    """Move one export day's folders out of the landing area into ``held`` (or back)."""
    source, target = (held, landing) if back else (landing, held)
    for folder in source.glob(f"*/*/{day.isoformat()}"):
        destination = target / folder.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        folder.rename(destination)


def scratch_home(path: Path, landing: Path) -> Path:
    """A SALESOPS_HOME of its own (warehouse, instance) reading the scale's landing folder."""
    path.mkdir(parents=True)
    (path / "landing").symlink_to(landing, target_is_directory=True)
    return path


def warehouse_counts(warehouse: Path) -> tuple[int, dict[str, int]]:
    """Order lines in marts.fct_order_lines and rows per raw table."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        order_lines = conn.execute("select count(*) from marts.fct_order_lines").fetchone()[0]
        tables = conn.execute("select table_name from duckdb_tables() where schema_name = 'raw' and not starts_with(table_name, '_') order by 1").fetchall()
        rows = {t: conn.execute(f'select count(*) from raw."{t}"').fetchone()[0] for (t,) in tables}
    return order_lines, rows


def dbt_targets(steps: list[StepTiming]) -> list[Path]:
    """The dbt target folder of every dbt step (``<op>-<run id[:7]>-<uuid>``), in the order the steps ran."""
    found = []
    for step in sorted((s for s in steps if s.step_key.startswith("dbt_")), key=lambda s: s.start):
        matches = sorted(DBT_TARGET.glob(f"{step.step_key}-{step.run_id[:7]}-*"))
        if len(matches) != 1:
            raise RuntimeError(f"{DBT_TARGET}: expected one target folder for step {step.step_key} of run {step.run_id}, found {len(matches)}")
        found.append(matches[0])
    return found


def dbt_invocations(steps: list[StepTiming], targets: list[Path]) -> list[dict[str, Any]]:
    """Per dbt step: the step's time in Dagster, dbt's own elapsed time and the sum of its nodes' execution times."""
    found = []
    for step, target in zip(sorted((s for s in steps if s.step_key.startswith("dbt_")), key=lambda s: s.start), targets):
        results = json.loads((target / "run_results.json").read_text())
        found.append(
            {
                "step": step.step_key,
                "step_s": round(step.seconds, 3),
                "dbt_elapsed_s": round(results["elapsed_time"], 3),
                "nodes": len(results["results"]),
                "node_execution_s": round(sum(r["execution_time"] for r in results["results"]), 3),
            }
        )
    return found


def measured_steps(dagster_home: Path, exclude_runs: set[str] = frozenset()) -> list[StepTiming]:
    return [s for s in read_step_timings(dagster_home) if s.run_id not in exclude_runs]


def step_total(steps: list[StepTiming]) -> float:
    return round(sum(s.seconds for s in steps), 3)


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def bench_scale(name: str) -> dict[str, Any]:
    """Measure one scale; returns its results.json entry."""
    work = WORK / name
    if work.exists():
        shutil.rmtree(work)
    home, held = work / "home", work / "held_back_day"
    python = sys.executable
    log(f"{name}: generating the demo company at scale {SCALES[name]:g}")
    work.mkdir(parents=True)
    generated = run_measured(
        [python, "-m", "demo_company", "--home", str(home), "--scale", str(SCALES[name]), "--seed", str(SEED)], None, ROOT, work / "generate.log"
    )
    days = export_days(home / "landing")
    last_day = days[-1]
    move_day(home / "landing", held, last_day)

    log(f"{name}: dbt parse with this scale's SALESOPS_HOME (the state a first `make run` leaves; not measured)")
    subprocess.run([python, "-c", PARSE], cwd=ROOT, check=True, env=environment(home, work / "parse_dagster_home"))

    log(f"{name}: full pipeline over {len(days) - 1} export days (python -m orchestration.run, as make run)")
    dagster_home = home / "dagster_home"
    full = run_measured([python, "-m", "orchestration.run", "--home", str(home)], environment(home, dagster_home), ROOT, work / "full.log")
    full_steps = measured_steps(dagster_home)
    order_lines, raw_rows = warehouse_counts(home / "warehouse.duckdb")

    log(f"{name}: floor (compiled dbt SQL + bare read_csv, one DuckDB connection)")
    targets = dbt_targets(full_steps)
    floor_db = work / "floor" / "warehouse.duckdb"  # same file name: the compiled SQL names the catalog "warehouse"
    floor_db.parent.mkdir(parents=True)
    floor = run_measured(
        [python, "-m", "bench.floor", "--home", str(home), "--database", str(floor_db), "--ml-from", str(home / "warehouse.duckdb"),
         "--artifacts", *map(str, targets)],
        environment(home, work / "floor" / "dagster_home"), ROOT, work / "floor.log",
    )
    floor_detail = json.loads(floor.log.read_text().strip().splitlines()[-1])

    log(f"{name}: our ingestion alone")
    ours_home = scratch_home(work / "ingest_ours", home / "landing")
    ours = run_measured([python, "-m", "bench.runs", "ingest", "--home", str(ours_home)], environment(ours_home, ours_home / "dagster_home"), ROOT, work / "ingest_ours.log")
    ours_s = step_total(measured_steps(ours_home / "dagster_home"))

    log(f"{name}: pandas read_csv through DuckDBPandasIOManager")
    pandas_home = scratch_home(work / "ingest_pandas", home / "landing")
    pandas = run_measured(
        [str(PANDAS_PYTHON), "-m", "bench.pandas_ingest", "--home", str(pandas_home), "--database", str(pandas_home / "pandas.duckdb")],
        environment(pandas_home, pandas_home / "dagster_home"), ROOT, work / "ingest_pandas.log",
    )
    pandas_s = step_total(measured_steps(pandas_home / "dagster_home"))

    log(f"{name}: one-day incremental run of {last_day} after the full build")
    move_day(home / "landing", held, last_day, back=True)
    one_day = run_measured(
        [python, "-m", "bench.runs", "one-day", "--home", str(home), "--day", last_day.isoformat()],
        environment(home, dagster_home), ROOT, work / "one_day.log",
    )
    one_day_steps = measured_steps(dagster_home, exclude_runs={s.run_id for s in full_steps})
    entry = scale_entry(name, full, full_steps, one_day, one_day_steps, floor, floor_detail, ours, ours_s, pandas, pandas_s, order_lines, raw_rows, len(days))
    entry["dbt_invocations"] = dbt_invocations(full_steps, targets)  # not in every entry: added after the first 10k run
    entry["demo_generation"] = {"s": round(generated.wall_s, 3), "peak_rss_mb": round(generated.peak_rss_mb, 1)}  # likewise (not part of a ratio)
    return entry


def scale_entry(
    name: str, full: Measured, full_steps: list[StepTiming], one_day: Measured, one_day_steps: list[StepTiming],
    floor: Measured, floor_detail: dict, ours: Measured, ours_s: float, pandas: Measured, pandas_s: float,
    order_lines: int, raw_rows: dict[str, int], days: int,
) -> dict[str, Any]:
    """The results.json object of one scale from its measurements."""
    return {
        "demo_scale": SCALES[name],
        "order_lines": order_lines,
        "raw_rows": raw_rows,
        "export_days": days,
        "full_pipeline_s": round(full.wall_s, 3),
        "stages_s": stage_seconds(full_steps),
        "other_s": round(full.wall_s - step_total(full_steps), 3),
        "peak_rss_mb": round(full.peak_rss_mb, 1),
        "incremental_s": round(one_day.wall_s, 3),
        "incremental_stages_s": stage_seconds(one_day_steps),
        "incremental_peak_rss_mb": round(one_day.peak_rss_mb, 1),
        "floor_s": round(floor.wall_s, 3),
        "floor_detail": floor_detail,
        "ours_ingest_s": ours_s,
        "ours_ingest_peak_rss_mb": round(ours.peak_rss_mb, 1),
        "pandas_ingest_s": pandas_s,
        "pandas_ingest_peak_rss_mb": round(pandas.peak_rss_mb, 1),
        "ratio_floor": ratio_floor(full.wall_s, floor.wall_s),
        "ingest_speedup_vs_pandas": ingest_speedup_vs_pandas(ours_s, pandas_s),
        "ingest_memory_ratio_vs_pandas": ingest_memory_ratio_vs_pandas(ours.peak_rss_mb, pandas.peak_rss_mb),
        "incremental_ratio": incremental_ratio(one_day.wall_s, full.wall_s),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
