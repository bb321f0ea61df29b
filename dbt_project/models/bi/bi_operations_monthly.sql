-- BI interface: Operations KPIs per month and product family. One row per row of kpi_operations_monthly; definitions in kpi_operations_monthly.yml.
select
    month,
    product_family,
    ordered_units,
    lines_due,
    lines_otif,
    otif_rate,
    fill_rate,
    shipped_units,
    backlog_units,
    capacity_units,
    capacity_utilisation,
    on_hand_units_at_month_end,
    days_of_supply
from {{ ref('kpi_operations_monthly') }}
