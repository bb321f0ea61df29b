"""Generate the demo company's export files.

    python -m demo_company [--home DIR] [--scale 1] [--seed 42] [--start YYYY-MM-DD] [--first-export YYYY-MM-DD] [--end YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from demo_company import DemoConfig, generate
from orchestration.settings import salesops_paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo_company", description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="SALESOPS_HOME (default: $SALESOPS_HOME or ./data)")
    parser.add_argument("--scale", type=float, default=1.0, help="1 is about 100,000 order lines over three years")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", type=date.fromisoformat, help="first simulated day (default: 36 months before --end)")
    parser.add_argument(
        "--first-export", type=date.fromisoformat, help="first export day, holding all history before it (default: first day of the month before --end's)"
    )
    parser.add_argument("--end", type=date.fromisoformat, help="last export day (default: yesterday)")
    args = parser.parse_args(argv)
    paths = salesops_paths(args.home)
    began = time.perf_counter()
    result = generate(paths.home, DemoConfig(seed=args.seed, scale=args.scale, start=args.start, end=args.end, first_export=args.first_export))
    print(
        f"Demo company (scale {args.scale:g}, seed {args.seed}): history from {result.history_start}, "
        f"export days {result.start} .. {result.end}, "
        f"{result.order_lines:,} order line records, {sum(result.rows.values()):,} records in all, "
        f"written to {paths.landing} in {time.perf_counter() - began:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
