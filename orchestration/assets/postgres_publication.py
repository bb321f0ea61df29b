"""With the warehouse on PostgreSQL: after every build, the ``bi`` views readable by the BI reader role
(orchestration/postgres_publication.py). Absent on DuckDB, where BI tools open their own file."""

from __future__ import annotations

import dagster as dg

from orchestration.postgres import PostgresSettings
from orchestration.postgres_publication import BI_SCHEMA, publish_bi_schema, reader_role
from orchestration.warehouse import POSTGRES

PUBLICATION_KEY = dg.AssetKey([BI_SCHEMA, "postgres_publication"])


def postgres_publication_assets(engine: str, bi_views: dg.AssetsDefinition) -> list[dg.AssetsDefinition]:
    """The publication asset, downstream of the dbt step that builds the ``bi`` views; none unless on PostgreSQL."""
    if engine != POSTGRES:
        return []

    @dg.asset(
        key=PUBLICATION_KEY,
        deps=[bi_views],
        group_name="bi",
        kinds={"postgres"},
        description="The bi views readable, and nothing else, by the read-only BI role ($SALESOPS_PG_BI_ROLE, default salesops_bi_reader).",
    )
    def postgres_publication() -> dg.MaterializeResult:
        role = reader_role()
        views = publish_bi_schema(PostgresSettings.from_env(), role)
        return dg.MaterializeResult(
            metadata={"reader_role": role, "views": len(views), "readable": dg.MetadataValue.md("\n".join(f"- bi.{v}" for v in views))}
        )

    return [postgres_publication]
