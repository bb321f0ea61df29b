"""Dagster resources: where the platform's files live and which warehouse engine it writes, from the
environment with safe defaults."""

from __future__ import annotations

import os

import dagster as dg

from orchestration.settings import DEFAULT_HOME, Paths, salesops_paths
from orchestration.warehouse import DUCKDB, TARGET_VARIABLE, Warehouse, open_warehouse


class SalesopsHome(dg.ConfigurableResource):
    """The SALESOPS_HOME folder (landing, warehouse, quarantine) and the warehouse engine (dbt target)."""

    home: str = DEFAULT_HOME
    engine: str = DUCKDB

    @property
    def paths(self) -> Paths:
        return salesops_paths(self.home)

    @property
    def warehouse(self) -> Warehouse:
        return open_warehouse(self.paths, self.engine)


def salesops_home_resource() -> SalesopsHome:
    """The resource configured from ``$SALESOPS_HOME`` and ``$SALESOPS_DBT_TARGET`` (read when definitions load, not at import)."""
    return SalesopsHome(
        home=str(salesops_paths(os.environ.get("SALESOPS_HOME")).home),
        engine=os.environ.get(TARGET_VARIABLE, DUCKDB),
    )
