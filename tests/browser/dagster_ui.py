"""The real Dagster UI and daemon (`dagster dev` over workspace.yaml) in a process group of their own.

Started with a temporary SALESOPS_HOME and DAGSTER_HOME; stopped the way a person stops it (an
interrupt, so Dagster shuts its webserver, daemon and code server down), then whatever is left of
the group (a run worker the daemon launched, its dbt) is terminated and, last, killed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
# Under workspace.yaml's python_module entry the code location and its repository are named so.
CODE_LOCATION = "orchestration.definitions:defs"
REPOSITORY_PATH = f"__repository__@{CODE_LOCATION}"

READY_QUERY = """
{
  workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } }
  instance { daemonHealth { daemonStatus(daemonType: "BACKFILL") { healthy } } }
}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _interruptible() -> None:
    """In the child: take SIGINT's default back (a shell running us in the background ignores it,
    and Dagster maps SIGTERM to whatever SIGINT does)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class DagsterDev:
    """One `dagster dev` on 127.0.0.1:``port``; its output goes to ``log``."""

    salesops_home: Path
    dagster_home: Path
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    stopped_by: str = ""
    ready_seconds: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "SALESOPS_HOME": str(self.salesops_home), "DAGSTER_HOME": str(self.dagster_home)}
        env.pop("SALESOPS_HISTORY_START", None)  # the partitions start at the temporary landing area's first day
        dagster = Path(sys.executable).with_name("dagster")
        command = [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(self.port)]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_interruptible,
            )

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        if answer.get("errors"):
            raise AssertionError(f"GraphQL errors from {self.url}: {answer['errors']}")
        return answer["data"]

    def wait_until_ready(self, timeout: float) -> float:
        """Wait until the code location is loaded and the backfill daemon is healthy; the seconds it took."""
        started = time.monotonic()
        last = "no answer yet"
        while time.monotonic() - started < timeout:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"dagster dev exited with {self.process.returncode}; see {self.log}")
            try:
                data = self.graphql(READY_QUERY)
                entries = data["workspaceOrError"]["locationEntries"]
                healthy = data["instance"]["daemonHealth"]["daemonStatus"]["healthy"]
                last = f"locations {entries}, backfill daemon healthy: {healthy}"
                if entries and all(e["loadStatus"] == "LOADED" for e in entries) and healthy:
                    return time.monotonic() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError, TypeError) as error:
                last = repr(error)
            time.sleep(2)
        raise AssertionError(f"Dagster UI at {self.url} not ready after {timeout:.0f} s ({last}); see {self.log}")

    def stop(self, grace: float = 60) -> str:
        """Interrupt `dagster dev`, then end what is left of its process group; says how it went."""
        if self.process is None or self.stopped_by:
            return self.stopped_by
        group, started = self.process.pid, time.monotonic()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=grace)
            self.stopped_by = f"interrupt ({time.monotonic() - started:.0f} s)"
        except subprocess.TimeoutExpired:
            self.stopped_by = "interrupt timed out"
        self._wait_for_group_end(5)  # the code server and run workers it interrupted are exiting
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
            if not _group_alive(group):
                break
            left = "; ".join(_group_commands(group))
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
            self.stopped_by += f", {sig.name} to what was left ({left})"
            self._wait_for_group_end(wait)
        if self.process.poll() is None:
            self.process.wait(timeout=10)
        if _group_alive(group):
            raise AssertionError(f"processes of group {group} (dagster dev) still running after SIGKILL")
        return self.stopped_by

    def _wait_for_group_end(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.process.poll()  # reaps `dagster dev` itself once it has exited
            if not _group_alive(self.process.pid):
                return
            time.sleep(0.5)


def _group_alive(group: int) -> bool:
    return bool(_group_commands(group))


def _group_commands(group: int) -> list[str]:
    """The command lines (shortened) of the live processes in ``group``, from /proc (zombies are not live)."""
    commands = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _parent, process_group = stat.read_text().rsplit(")", 1)[1].split()[:3]
            if int(process_group) == group and state != "Z":
                commands.append(stat.with_name("cmdline").read_bytes().replace(b"\0", b" ").decode()[:120].strip())
        except (OSError, IndexError, ValueError):
            continue
    return commands
