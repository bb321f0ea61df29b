"""Where the platform keeps its files, resolved from the environment when asked (never at import).

One variable, ``SALESOPS_HOME`` (default ``./data``), roots everything the platform writes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = "./data"
HISTORY_START_VARIABLE = "SALESOPS_HISTORY_START"


@dataclass(frozen=True)
class Paths:
    """The locations under one ``SALESOPS_HOME`` that users can rely on."""

    home: Path

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def bi_warehouse(self) -> Path:
        return self.home / "bi.duckdb"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def models(self) -> Path:
        return self.home / "models"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"


def salesops_paths(home: str | os.PathLike[str] | None = None) -> Paths:
    """Paths rooted at ``home``, else ``$SALESOPS_HOME``, else ``./data``, made absolute."""
    chosen = home if home is not None else os.environ.get("SALESOPS_HOME", DEFAULT_HOME)
    return Paths(Path(chosen).expanduser().resolve())


def dbt_executable() -> str:
    """The dbt installed beside this Python (the project's virtual environment), else ``dbt`` on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


@contextmanager
def environment_set(settings: Mapping[str, str]) -> Iterator[None]:
    """These environment variables for the block (subprocesses such as dbt inherit them), then what was there before."""
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
