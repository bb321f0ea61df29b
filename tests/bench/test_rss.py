"""Peak RSS of a real process tree: a child and a grandchild holding known allocations at the same time."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.rss import run_measured

# argv: megabytes to hold, then "spawn" (start a grandchild holding 100 MB and wait for it) or
# "leaf" (hold for 1.5 s). Pages are written, so they are resident.
HOLD = """
import subprocess, sys, time
block = bytearray(int(sys.argv[1]) * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
if sys.argv[2] == "spawn":
    subprocess.run([sys.executable, __file__, "100", "leaf"], check=True)
else:
    time.sleep(1.5)
"""


def test_peak_rss_is_the_sum_over_the_process_tree(tmp_path: Path) -> None:
    script = tmp_path / "hold.py"
    script.write_text(HOLD)
    idle = run_measured([sys.executable, str(script), "0", "leaf"]).peak_rss_mb
    measured = run_measured([sys.executable, str(script), "150", "spawn"])
    # 250 MB held by two interpreters at once, each also holding what an idle one does
    assert 250 + idle <= measured.peak_rss_mb <= 250 + 2 * idle + 10, (measured.peak_rss_mb, idle)
    assert measured.wall_s >= 1.5
