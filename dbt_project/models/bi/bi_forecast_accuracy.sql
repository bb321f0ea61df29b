-- BI interface: Forecast accuracy over time per product family, month and lag. One row per row of kpi_forecast_accuracy; definitions in kpi_forecast_accuracy.yml.
select
    month,
    product_family,
    lag_months,
    as_of_month,
    run_id,
    model,
    forecast_units,
    actual_units,
    error_units,
    absolute_error_units
from {{ ref('kpi_forecast_accuracy') }}
