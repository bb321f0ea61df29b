"""Fixtures for ingestion tests: an in-memory warehouse, a landing folder and spec files written on the fly."""

from __future__ import annotations

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
