"""Shared fixtures: a small demo company generated once per test session into a temporary home."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

SAP_BIKES = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "sap_bikes"

def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end module first: under xdist it then has a worker to itself from the start,
    and the rest of the suite runs on the other worker while the pipeline runs. The PostgreSQL
    pipeline (tests/postgres/, the next longest) starts right after it, on the other worker."""
    first = ("tests/e2e/", "tests/postgres/")
    items.sort(key=lambda item: next((rank for rank, folder in enumerate(first) if item.nodeid.startswith(folder)), len(first)))


# A small company over 14 months: enough history for monthly KPIs, quick to build.
E2E_START = date(2024, 1, 1)
E2E_END = date(2025, 2, 28)
E2E_FIRST_EXPORT = date(2025, 1, 1)  # the generator's default: the month before the last export day's
E2E_SCALE = 0.05


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SALESOPS_HOME with the demo company's exports in its landing folder (shared, read-only)."""
    from demo_company import DemoConfig, generate

    home = tmp_path_factory.mktemp("demo_home")
    generate(home, DemoConfig(seed=7, scale=E2E_SCALE, start=E2E_START, end=E2E_END))
    return home
