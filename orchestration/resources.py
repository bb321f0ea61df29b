"""Dagster resources: where the platform's files live, from the environment with safe defaults."""

from __future__ import annotations

import os

import dagster as dg

from orchestration.settings import DEFAULT_HOME, Paths, salesops_paths


class SalesopsHome(dg.ConfigurableResource):
    """The SALESOPS_HOME folder: landing, warehouse, quarantine."""

    home: str = DEFAULT_HOME

    @property
    def paths(self) -> Paths:
        return salesops_paths(self.home)


def salesops_home_resource() -> SalesopsHome:
    """The resource configured from ``$SALESOPS_HOME`` (read when definitions load, not at import)."""
    return SalesopsHome(home=str(salesops_paths(os.environ.get("SALESOPS_HOME")).home))
