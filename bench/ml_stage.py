"""Time the ML stage's two steps on a built warehouse, each in a process of its own.

    python -m bench.ml_stage path/to/warehouse.duckdb

Runs what the ``demand_forecast`` and ``win_probability`` assets compute (their input queries and
their table functions; the writes are left out) on a read-only connection, so the warehouse is not
changed, and prints one JSON line per step: seconds reading, seconds computing, CPU seconds of the
process and its peak RSS. A process per step, so each peak is the step's own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb

STEPS = ("demand_forecast", "win_probability")


def measure(step: str, warehouse: str) -> dict:
    """Read the step's inputs and compute its tables in this process; the times and the peak RSS."""
    from orchestration.assets import ml, sales_forecast
    from orchestration.warehouse import DuckDBWarehouse
    from orchestration.win_probability_inputs import read_win_probability_inputs

    began, cpu = time.perf_counter(), time.process_time()
    if step == "demand_forecast":
        with duckdb.connect(warehouse, read_only=True) as conn:
            demand = conn.execute(ml._DEMAND_SQL).df()
        input_rows = [len(demand)]
    else:
        inputs = read_win_probability_inputs(DuckDBWarehouse(Path(warehouse)))
        input_rows = [len(inputs.history), len(inputs.opportunities)]
    read = time.perf_counter()
    if step == "demand_forecast":
        ml.demand_forecast_tables(demand, "bench")
    else:
        sales_forecast.sales_forecast_tables(inputs, "bench")
    done = time.perf_counter()
    return {
        "step": step, "input_rows": input_rows, "read_s": round(read - began, 1),
        "compute_s": round(done - read, 1), "cpu_s": round(time.process_time() - cpu, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ml_stage", description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", help="a built warehouse.duckdb (only read)")
    parser.add_argument("--step", choices=STEPS, help="measure this step in this process (the default runs each in its own)")
    args = parser.parse_args(argv)
    if args.step:
        print(json.dumps(measure(args.step, args.warehouse)))
        return 0
    for step in STEPS:
        subprocess.run([sys.executable, "-m", "bench.ml_stage", "--step", step, args.warehouse], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
