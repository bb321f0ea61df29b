"""Fixtures for ingestion tests: an in-memory warehouse, a landing folder and spec files written on the fly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import SourceSpec
from orchestration.ingest.specs import load_spec
from tests.ingest.helpers import ORDERS_SPEC


@pytest.fixture
def conn():
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    yield connection
    connection.close()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def quarantine(tmp_path: Path) -> Path:
    return tmp_path / "quarantine"


@pytest.fixture
def make_spec(tmp_path: Path):
    """Write a spec (the orders spec by default, with text replacements) and load it."""

    def make(text: str = ORDERS_SPEC, replace: dict[str, str] | None = None, extra: str = "") -> SourceSpec:
        for old, new in (replace or {}).items():
            assert old in text, f"{old!r} is not in the spec text"
            text = text.replace(old, new)
        source = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("source:"))
        obj = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("object:"))
        path = tmp_path / "specs" / source / f"{obj}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + extra, encoding="utf-8")
        return load_spec(path)

    return make


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "s3: ingestion from an S3 landing, against a local moto server on 127.0.0.1")


def pytest_collection_modifyitems(session, config, items) -> None:
    """Start the local S3 server early when S3 tests will run, so its start-up overlaps other tests."""
    if any(item.get_closest_marker("s3") for item in items) and not hasattr(config, "_moto_server"):
        config._moto_server = _MotoServer()


class _MotoServer:
    """``python -m moto.server`` on a free loopback port, in a child process."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def wait(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the moto S3 server exited with code {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return f"http://127.0.0.1:{self.port}"
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the moto S3 server did not listen on 127.0.0.1:{self.port} within {timeout:.0f} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def pytest_unconfigure(config) -> None:
    server = getattr(config, "_moto_server", None)
    if server is not None:
        server.stop()


_S3_ENV = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION", "NO_PROXY")


@pytest.fixture(scope="session")
def s3_endpoint(pytestconfig):
    """The local S3 server's URL for the whole session, with throwaway credentials in the environment."""
    server = getattr(pytestconfig, "_moto_server", None)
    if server is None:
        server = pytestconfig._moto_server = _MotoServer()
    endpoint = server.wait()
    saved = {k: os.environ.get(k) for k in _S3_ENV}
    os.environ.update({
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "NO_PROXY": "127.0.0.1,localhost",
    })
    yield endpoint
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def bucket(s3_endpoint, request):
    """An empty bucket named after the test; returns (boto3 client, bucket name)."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint)
    name = "t-" + "".join(ch if ch.isalnum() else "-" for ch in request.node.name.lower())[:50].strip("-")
    client.create_bucket(Bucket=name)
    yield client, name
    for item in client.list_objects_v2(Bucket=name).get("Contents", []):
        client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)
