"""`make ui` serves the Dagster UI on the loopback interface only.

Dagster's webserver is started with the host and port ``make ui`` passes, and the kernel's table of
listening sockets is read until the port appears: every socket listening on it must be bound to
127.0.0.1, none to 0.0.0.0 or another interface.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.security

ROOT = Path(__file__).resolve().parents[2]
LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port`` (IPv4 and IPv6), from /proc/net/tcp*."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == LISTEN and int(port_hex, 16) == port:
                found.add(_address(address, width))
    return found


def _address(hex_address: str, width: int) -> str:
    """/proc/net/tcp's little-endian hex address as text (IPv4 dotted; IPv6 as socket.inet_ntop writes it)."""
    raw = bytes.fromhex(hex_address)
    if width == 8:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_ui_command(port: int, env: dict[str, str]) -> list[str]:
    """The ``dagster dev`` command ``make ui`` runs (make -n prints it without running anything)."""
    printed = subprocess.run(
        ["make", "-n", "--no-print-directory", "ui", f"UI_PORT={port}"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    (line,) = [line for line in printed.splitlines() if " dagster dev " in line]
    return shlex.split(line)


@pytest.mark.skipif(not Path("/proc/net/tcp").exists() or shutil.which("make") is None, reason="needs Linux's /proc/net/tcp and make")
def test_make_ui_listens_on_127_0_0_1_only(tmp_path: Path) -> None:
    """The host and port ``make ui`` passes, given to Dagster's webserver over an empty code location
    (the project's own takes most of a minute to load; what binds the socket is the same server)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "UI_HOST"} | {"DAGSTER_HOME": str(tmp_path)}
    command = make_ui_command(port, env)
    host, given_port = command[command.index("-h") + 1], command[command.index("-p") + 1]
    assert (host, given_port) == ("127.0.0.1", str(port))
    (tmp_path / "empty.py").write_text("import dagster as dg\n\ndefs = dg.Definitions()\n")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-h", host, "-p", given_port, "-f", str(tmp_path / "empty.py")],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        addresses: set[str] = set()
        while time.monotonic() < deadline and server.poll() is None:
            addresses = listening_addresses(port)
            if addresses:
                break
            time.sleep(0.2)
        assert addresses, f"the webserver did not listen on port {port}: " + (
            server.stderr.read().decode()[-2000:] if server.poll() is not None else "timeout"
        )
        time.sleep(0.5)  # a server that binds several addresses binds them together
        assert listening_addresses(port) == {"127.0.0.1"}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
