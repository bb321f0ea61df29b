-- Forecast accuracy over time: every stored forecast of a product family's monthly demand against
-- the units then ordered, by lag (months between the forecast's last complete month and the month
-- forecast). A family's forecast is the sum of its regions' point forecasts. Formulas:
-- kpi_forecast_accuracy.yml. Rows: product family × forecast month × lag for every forecast month
-- that is complete now; of several runs made on the same input month, the latest counts.
with

forecasts as not materialized (
    select * from {{ source('ml', 'ml_demand_forecast') }}
),

demand as not materialized (
    select * from {{ ref('fct_demand_monthly') }}
),

latest_run_per_input as (
    select as_of_month, max(created_at) as created_at
    from forecasts
    group by as_of_month
),

vintages as (
    select
        forecasts.run_id,
        forecasts.model,
        forecasts.as_of_month,
        forecasts.product_family,
        forecasts.ds,
        forecasts.horizon,
        sum(forecasts.yhat) as yhat
    from forecasts
    inner join latest_run_per_input
        on forecasts.as_of_month = latest_run_per_input.as_of_month
        and forecasts.created_at = latest_run_per_input.created_at
    group by 1, 2, 3, 4, 5, 6
),

actuals as (
    select
        month,
        product_family,
        sum(ordered_units) as actual_units
    from demand
    where is_complete_month
    group by 1, 2
),

final as (
    select
        -- grain
        cast(vintages.ds as date) as month,
        cast(vintages.product_family as {{ dbt.type_string() }}) as product_family,
        cast(vintages.horizon as integer) as lag_months,

        -- the forecast
        cast(vintages.as_of_month as date) as as_of_month,
        cast(vintages.run_id as {{ dbt.type_string() }}) as run_id,
        cast(vintages.model as {{ dbt.type_string() }}) as model,
        cast(vintages.yhat as {{ kpi_rate_type() }}) as forecast_units,

        -- against what happened
        cast(actuals.actual_units as {{ kpi_rate_type() }}) as actual_units,
        cast(vintages.yhat - actuals.actual_units as {{ kpi_rate_type() }}) as error_units,
        cast(abs(vintages.yhat - actuals.actual_units) as {{ kpi_rate_type() }}) as absolute_error_units
    from vintages
    inner join actuals
        on cast(vintages.ds as date) = actuals.month
        and vintages.product_family = actuals.product_family
)

select * from final
