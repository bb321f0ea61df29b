"""Blocking Great Expectations checks on the KPI marts: bad KPI data must not reach BI or forecasts."""


import dagster as dg

from data_quality.suites.kpis import KPI_TABLES, kpi_suite
from orchestration.ingest.sql import quote_identifier
from orchestration.partitions import WAREHOUSE_POOL
from orchestration.resources import SalesopsHome

MARTS_SCHEMA = "marts"


def build_kpi_checks() -> list[dg.AssetChecksDefinition]:
    return [build_kpi_check(table) for table in KPI_TABLES]


def build_kpi_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([MARTS_SCHEMA, table]),
        name="kpi_expectations",
        description=f"Great Expectations suite '{table}' (data_quality/suites/kpis.py); blocking.",
        blocking=True,
        pool=WAREHOUSE_POOL,
    )
    def kpi_expectations(salesops: SalesopsHome) -> dg.AssetCheckResult:
        frame = salesops.warehouse.read_frame(f"select * from {MARTS_SCHEMA}.{quote_identifier(table)}")
        from data_quality import validate_frame  # Great Expectations loads on first use

        report = validate_frame(frame, table, kpi_suite(table))
        return dg.AssetCheckResult(
            passed=report.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=report.summary(),
            metadata={
                "rows_checked": report.rows,
                "expectations": report.evaluated,
                "failed_expectations": len(report.failures),
                "failures": dg.MetadataValue.json([f.__dict__ for f in report.failures]),
            },
        )

    return kpi_expectations
