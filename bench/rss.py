"""Peak resident memory of a whole process tree, sampled from /proc (Linux) in a monitor thread.

Why sampling and not ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``: that is the largest RSS
any *single* waited-for descendant reached, not the sum over processes alive at the same time
(the Dagster process stays resident while its dbt subprocess runs), and it is cumulative over
every child the harness ever waited for, so a later, smaller measurement would report an earlier
one's peak. Sampling sums RSS over the tree every ``interval`` seconds; it can miss a spike
shorter than the interval, and it counts pages shared between processes once per process.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and every descendant alive now."""
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending += _children(current)
    return tree


def rss_bytes(pid: int) -> int:
    """Resident set size of one process, 0 when it has gone."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def tree_rss_bytes(pid: int) -> int:
    return sum(rss_bytes(p) for p in process_tree(pid))


class PeakTreeRss:
    """Samples the RSS of a process tree in a thread until stopped; ``peak_bytes`` is the largest sum seen."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval, self.peak_bytes, self.samples = pid, interval, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self.pid))
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakTreeRss":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(frozen=True)
class Measured:
    """One measured subprocess: its wall time, the peak RSS of its tree, and its output."""

    command: list[str]
    wall_s: float
    peak_rss_mb: float
    returncode: int
    log: Path | None = None


def run_measured(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, log: Path | None = None) -> Measured:
    """Run ``command`` to completion, timing it and sampling its process tree's memory.

    Output goes to ``log`` (when given); a non-zero exit raises with the log's last lines.
    """
    out = open(log, "w") if log else subprocess.DEVNULL
    try:
        began = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        with PeakTreeRss(process.pid) as monitor:
            returncode = process.wait()
        wall = time.perf_counter() - began
    finally:
        if log:
            out.close()
    if returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-30:]) if log else ""
        raise RuntimeError(f"{' '.join(command)} exited with {returncode} (log: {log}):\n{tail}")
    return Measured(command, wall, monitor.peak_bytes / MB, returncode, log)
