-- BI interface: Sales KPIs per month and sales rep. One row per row of kpi_sales_monthly; definitions in kpi_sales_monthly.yml.
select
    month,
    sales_rep_id,
    sales_rep_name,
    territory,
    region,
    cast(bookings_amount as {{ kpi_amount_type() }}) as bookings_amount,
    won_count,
    lost_count,
    win_rate,
    avg_deal_size,
    avg_sales_cycle_days,
    cast(pipeline_amount_at_month_start as {{ kpi_amount_type() }}) as pipeline_amount_at_month_start,
    cast(quota_amount as {{ kpi_amount_type() }}) as quota_amount,
    pipeline_coverage,
    quota_attainment
from {{ ref('kpi_sales_monthly') }}
