"""The dbt project as Dagster assets: incremental daily facts (partitioned), the warehouse, and the
models that read the forecasts (built after the ML step).

dbt runs as one invocation per step: the daily facts in ``daily_load``; the warehouse, then (after
the forecasting assets) the S&OP marts and the ``bi`` interface in ``warehouse_build``. The
partition window reaches the incremental models as the environment variables
``SALESOPS_PARTITION_MIN_DATE`` / ``SALESOPS_PARTITION_MAX_DATE`` (not ``--vars``, which would cost a
full parse per invocation). The manifest comes from ``dbt parse``.
"""


import fcntl
import importlib.metadata
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from packaging import version
from pydantic import Field

from orchestration.partitions import WAREHOUSE_POOL, window_dates
from orchestration.resources import SalesopsHome
from orchestration.settings import dbt_executable, environment_set
from orchestration.warehouse import DUCKDB, TARGET_VARIABLE

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DAILY_TAG = "daily_partitioned"
DAILY_SELECTION = f"tag:{DAILY_TAG}"
AFTER_ML_SELECTION = "tag:after_ml"  # models reading the ml.* tables, and the bi interface above them


def salesops_dbt_project() -> DbtProject:
    """The dbt project for the profile target ``$SALESOPS_DBT_TARGET`` (default duckdb), with its
    manifest freshly parsed when any project file changed since the last parse."""
    return _dbt_project(os.environ.get(TARGET_VARIABLE, DUCKDB))


@cache
def _dbt_project(target: str) -> DbtProject:
    # Another target parses into its own folder: dbt discards a partial parse made for another
    # profile, and every invocation would otherwise parse the whole project again.
    target_path = Path("target") if target == DUCKDB else Path("target") / target
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=target, target_path=target_path)
    if _manifest_is_stale(project):
        target = project.manifest_path.parent
        target.mkdir(parents=True, exist_ok=True)
        # One parse at a time (the UI's code server, run workers and test workers may all start
        # together); whoever waited finds the manifest fresh and parses nothing.
        with open(target / ".parse.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if _manifest_is_stale(project):
                # dbt parse with the dbt beside this interpreter: dagster-dbt's own preparer looks
                # for `dbt` on PATH, which a venv's python run without activation does not have.
                InstalledDbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
                    ["parse", "--quiet"], target_path=project.target_path
                ).wait()
    return project


def _manifest_is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [p for folder in ("models", "macros", "snapshots", "seeds", "tests") for p in (DBT_PROJECT_DIR / folder).rglob("*")]
    sources += [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


class SalesopsDbtTranslator(DagsterDbtTranslator):
    """Asset keys mirror warehouse names: sources are ``raw/<source>__<table>``, models ``<schema>/<name>``."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "ml":  # written by orchestration/assets/ml.py
                return dg.AssetKey(["ml", dbt_resource_props["name"]])
            return dg.AssetKey(["raw", f"{dbt_resource_props['source_name']}__{dbt_resource_props['name']}"])
        schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props["schema"]
        return dg.AssetKey([schema, dbt_resource_props.get("alias") or dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        schema = dbt_resource_props.get("config", {}).get("schema")
        return "bi" if schema == "bi" else "warehouse"


PARTITION_MIN_DATE_VARIABLE = "SALESOPS_PARTITION_MIN_DATE"
PARTITION_MAX_DATE_VARIABLE = "SALESOPS_PARTITION_MAX_DATE"


def partition_window_environment(window: tuple[date, date]) -> dict[str, str]:
    """The environment variables that give the incremental facts their window of inclusive export
    days (read by dbt_project/macros/partition_window.sql).

    Not ``--vars``: dbt throws its partial parse away whenever the vars change, so a window passed
    as vars made every daily load parse the whole project again.
    """
    return {PARTITION_MIN_DATE_VARIABLE: window[0].isoformat(), PARTITION_MAX_DATE_VARIABLE: window[1].isoformat()}


class DailyModelsConfig(dg.Config):
    """Run configuration of the daily load's dbt step (Launchpad: ``ops: dbt_daily_facts: config:``)."""

    full_refresh: bool = Field(
        default=False,
        description=(
            "Rebuild the incremental staging models and facts from every raw row (dbt --full-refresh) instead of "
            "recomputing the keys of the partition's export days: after a column of one of them changed "
            "(on_schema_change: fail stops the incremental run), or to rebuild a table edited outside dbt."
        ),
    )


def daily_build_arguments(config: DailyModelsConfig) -> list[str]:
    """The dbt arguments of the daily load's step."""
    return ["build", "--full-refresh"] if config.full_refresh else ["build"]


def build_dbt_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The three dbt steps: partitioned incremental facts, the warehouse, and what reads the forecasts."""
    project = salesops_dbt_project()
    translator = SalesopsDbtTranslator()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=DAILY_SELECTION,
        name="dbt_daily_facts",
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def dbt_daily_facts(context: dg.AssetExecutionContext, dbt: DbtCliResource, salesops: SalesopsHome, config: DailyModelsConfig):
        window = partition_window_environment(window_dates(context.partition_time_window))
        with dbt_home(salesops), environment_set(window):
            yield from dbt.cli(daily_build_arguments(config), context=context).stream()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        exclude=f"{DAILY_SELECTION} {AFTER_ML_SELECTION}",
        name="dbt_warehouse",
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def dbt_warehouse(context: dg.AssetExecutionContext, dbt: DbtCliResource, salesops: SalesopsHome):
        with dbt_home(salesops):
            yield from dbt.cli(["build"], context=context).stream()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=AFTER_ML_SELECTION,
        name="dbt_sop_and_bi",
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def dbt_sop_and_bi(context: dg.AssetExecutionContext, dbt: DbtCliResource, salesops: SalesopsHome):
        with dbt_home(salesops):
            yield from dbt.cli(["build"], context=context).stream()

    return [dbt_daily_facts, dbt_warehouse, dbt_sop_and_bi]


@contextmanager
def dbt_home(salesops: SalesopsHome) -> Iterator[None]:
    """Point dbt's profile (``env_var('SALESOPS_HOME')``) at the resource's home for one invocation,
    and dagster-dbt at the target folder of the engine's parse (``DBT_TARGET_PATH``).

    dbt runs as a subprocess in the project folder and inherits this process's environment, so a
    relative or unset SALESOPS_HOME would otherwise resolve against the wrong folder. dagster-dbt
    seeds each invocation's folder with the partial parse it finds under DBT_TARGET_PATH (default
    ``target``, the DuckDB parse).
    """
    settings = {"SALESOPS_HOME": str(salesops.paths.home)}
    if salesops.engine != DUCKDB:
        settings["DBT_TARGET_PATH"] = str(_dbt_project(salesops.engine).target_path)
    with environment_set(settings):
        yield


class InstalledDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, told the dbt-core version instead of asking ``dbt --version``.

    ``dbt --version`` also asks PyPI for the latest release: 15-20 s per dbt invocation here, and
    a hang where the network is slow. The project installs dbt-core (never dbt Fusion), so the
    version installed beside this interpreter is the version the executable runs.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))


def dbt_resource() -> DbtCliResource:
    return InstalledDbtCliResource(project_dir=salesops_dbt_project(), dbt_executable=dbt_executable())
