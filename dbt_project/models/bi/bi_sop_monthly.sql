-- BI interface: The S&OP table per product family and month. One row per row of kpi_sop_monthly; definitions in kpi_sop_monthly.yml.
select
    month,
    product_family,
    booked_units,
    booked_amount,
    open_opportunities,
    weighted_pipeline_amount,
    weighted_pipeline_units,
    expected_bookings_amount,
    expected_bookings_units,
    forecast_units,
    forecast_run_id,
    capacity_units,
    opening_stock_units,
    demand_plan_units,
    capacity_gap_units,
    risk_level,
    is_at_risk
from {{ ref('kpi_sop_monthly') }}
