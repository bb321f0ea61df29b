"""The tiny company every reliability test starts from (generated once per test process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability import support


@pytest.fixture(scope="session")
def tiny_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return support.generate_tiny_company(tmp_path_factory.mktemp("tiny_company"))
