"""Expectations on the KPI marts BI tools read: keys unique and present, rates within their bounds.

A failure here blocks what comes after the marts (forecasts, publication): a KPI table that breaks
these must not reach a dashboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from great_expectations.expectations.expectation import Expectation

KPI_TABLES = ("kpi_sales_monthly", "kpi_operations_monthly", "kpi_customer_monthly", "kpi_promise_vs_delivery")


def kpi_suite(table: str) -> list[Expectation]:
    """The expectations of one KPI mart (one of KPI_TABLES)."""
    import great_expectations as gx  # slow to import: only when a suite is built

    E = gx.expectations

    def _share(column: str, high: float = 1.0) -> Expectation:
        return E.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=high)

    def _not_negative(column: str) -> Expectation:
        return E.ExpectColumnValuesToBeBetween(column=column, min_value=0)

    suites: dict[str, list[Expectation]] = {
        "kpi_sales_monthly": [
            E.ExpectTableRowCountToBeBetween(min_value=1),
            E.ExpectColumnValuesToNotBeNull(column="month"),
            E.ExpectColumnValuesToNotBeNull(column="sales_rep_id"),
            E.ExpectCompoundColumnsToBeUnique(column_list=["month", "sales_rep_id"]),
            _not_negative("bookings_amount"),
            _not_negative("won_count"),
            _not_negative("lost_count"),
            _share("win_rate"),
            _not_negative("avg_deal_size"),
            _not_negative("avg_sales_cycle_days"),
            _not_negative("pipeline_amount_at_month_start"),
            _not_negative("quota_amount"),
            _not_negative("pipeline_coverage"),
            _not_negative("quota_attainment"),
        ],
        "kpi_operations_monthly": [
            E.ExpectTableRowCountToBeBetween(min_value=1),
            E.ExpectColumnValuesToNotBeNull(column="month"),
            E.ExpectColumnValuesToNotBeNull(column="product_family"),
            E.ExpectCompoundColumnsToBeUnique(column_list=["month", "product_family"]),
            _not_negative("ordered_units"),
            _share("otif_rate"),
            _share("fill_rate"),
            _not_negative("backlog_units"),
            _not_negative("shipped_units"),
            _not_negative("capacity_utilisation"),
            _not_negative("days_of_supply"),
        ],
        "kpi_customer_monthly": [
            E.ExpectTableRowCountToBeBetween(min_value=1),
            E.ExpectColumnValuesToNotBeNull(column="month"),
            E.ExpectColumnValuesToNotBeNull(column="region"),
            E.ExpectCompoundColumnsToBeUnique(column_list=["month", "region"]),
            E.ExpectColumnValuesToBeBetween(column="nps", min_value=-100, max_value=100),
            _share("csat", 100),
            _not_negative("tickets_opened"),
            _not_negative("active_customers"),
            _share("churn_rate"),
        ],
        "kpi_promise_vs_delivery": [
            E.ExpectTableRowCountToBeBetween(min_value=1),
            E.ExpectColumnValuesToNotBeNull(column="month"),
            E.ExpectColumnValuesToNotBeNull(column="sales_rep_id"),
            E.ExpectColumnValuesToNotBeNull(column="product_family"),
            E.ExpectCompoundColumnsToBeUnique(column_list=["month", "sales_rep_id", "product_family"]),
            E.ExpectColumnValuesToBeBetween(column="lines_due", min_value=1),
            _not_negative("promised_units"),
            _not_negative("on_time_units"),
            _not_negative("unshipped_units"),
            _share("promise_kept_rate"),
            _not_negative("avg_days_late"),
        ],
    }
    if table not in suites:
        raise KeyError(f"no KPI suite for {table!r}; KPI tables: {', '.join(KPI_TABLES)}")
    return suites[table]
