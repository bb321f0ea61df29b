"""`make bench`: measure the pipeline at each scale, write bench/results.json and docs/benchmarks.md.

    python -m bench [--scales "100k 1m 10m"]     (scale names: bench/scales.py)
"""

from __future__ import annotations

import argparse
import sys

from bench.harness import ROOT, bench_scale, log
from bench.results import merge_results, write_table
from bench.scales import parse_scales

RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="", help="scale names, e.g. '1m' or '10k 100k' (default: 100k 1m 10m)")
    args = parser.parse_args(argv)
    for name in parse_scales(args.scales):
        entry = bench_scale(name)
        results = merge_results(RESULTS, {name: entry})  # written after each scale: a later failure keeps it
        write_table(DOC, results)
        log(f"{name}: {entry['full_pipeline_s']:.1f} s full, ratio_floor {entry['ratio_floor']}, "
            f"incremental_ratio {entry['incremental_ratio']}, pandas speed-up {entry['ingest_speedup_vs_pandas']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
