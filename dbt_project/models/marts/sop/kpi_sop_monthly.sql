-- The S&OP table: per product family and month, what sales booked and expects, what the forecast
-- says, what operations can make and has in stock, the gap and a risk flag. Formulas:
-- kpi_sop_monthly.yml (the single definition). Rows: every product family × month from the first
-- month with an order to the last month the latest forecast or the capacity plan covers.
with

order_lines as not materialized (
    select * from {{ ref('fct_order_lines') }}
),

opportunities as not materialized (
    select * from {{ ref('fct_opportunities') }}
),

stock_at_month_end as not materialized (
    select * from {{ ref('int_inventory__family_month_end') }}
),

capacity as not materialized (
    select * from {{ ref('stg_erp__capacity') }}
),

products as not materialized (
    select * from {{ ref('dim_product') }}
),

demand_forecast as not materialized (
    select * from {{ source('ml', 'ml_demand_forecast') }}
),

win_probability as not materialized (
    select * from {{ source('ml', 'ml_win_probability') }}
),

-- the latest run's forecast of each family: the sum of its regions' point forecasts
latest_forecast as (
    select
        cast(ds as date) as month,
        product_family,
        sum(yhat) as yhat,
        max(run_id) as run_id
    from demand_forecast
    where created_at = (select max(created_at) from demand_forecast)
    group by 1, 2
),

booked as (
    select
        {{ month_start('order_lines.order_date') }} as month,
        products.product_family,
        sum(order_lines.quantity) as booked_units,
        sum(order_lines.net_amount) as booked_amount
    from order_lines
    inner join products
        on order_lines.product_id = products.product_id
    where order_lines.order_date is not null
    group by 1, 2
),

-- the CRM's stage probability and the model's win probability of the same open opportunities
-- (the CRM's where the latest scoring run did not score one)
weighted_pipeline as (
    select
        opportunities.close_month as month,
        opportunities.product_family,
        count(*) as open_opportunities,
        sum(cast(
            coalesce(opportunities.amount, 0) * coalesce(opportunities.probability, 0) / 100.0 as {{ exact_measure_type() }}
        )) as weighted_pipeline_amount,
        sum(cast(
            coalesce(opportunities.quantity, 0) * coalesce(opportunities.probability, 0) / 100.0 as {{ exact_measure_type() }}
        )) as weighted_pipeline_units,
        sum(cast(
            coalesce(opportunities.amount, 0)
            * coalesce(win_probability.win_probability, coalesce(opportunities.probability, 0) / 100.0)
            as {{ exact_measure_type() }}
        )) as expected_bookings_amount,
        sum(cast(
            coalesce(opportunities.quantity, 0)
            * coalesce(win_probability.win_probability, coalesce(opportunities.probability, 0) / 100.0)
            as {{ exact_measure_type() }}
        )) as expected_bookings_units
    from opportunities
    left join win_probability
        on opportunities.opportunity_id = win_probability.opportunity_id
    where not opportunities.is_closed
    group by 1, 2
),

bounds as (
    select
        (select min(month) from booked) as first_month,
        greatest(
            coalesce((select max(month) from latest_forecast), (select max(month) from booked)),
            coalesce((select max(capacity_month) from capacity), (select max(month) from booked))
        ) as last_month
),

months as (
    {{ month_spine('(select first_month from bounds)', '(select last_month from bounds)') }}
),

families as (
    select distinct product_family from products where product_family is not null
),

grid as (
    select months.month, families.product_family
    from months
    cross join families
),

joined as (
    select
        grid.month,
        grid.product_family,
        coalesce(booked.booked_units, 0) as booked_units,
        coalesce(booked.booked_amount, 0) as booked_amount,
        coalesce(weighted_pipeline.open_opportunities, 0) as open_opportunities,
        coalesce(weighted_pipeline.weighted_pipeline_amount, 0) as weighted_pipeline_amount,
        coalesce(weighted_pipeline.weighted_pipeline_units, 0) as weighted_pipeline_units,
        coalesce(weighted_pipeline.expected_bookings_amount, 0) as expected_bookings_amount,
        coalesce(weighted_pipeline.expected_bookings_units, 0) as expected_bookings_units,
        latest_forecast.yhat as forecast_units,
        latest_forecast.run_id as forecast_run_id,
        capacity.capacity_units,
        -- stock entering the month: the last snapshot of an earlier month (the latest one for future months)
        (
            select stock_at_month_end.on_hand_units
            from stock_at_month_end
            where stock_at_month_end.product_family = grid.product_family
                and stock_at_month_end.month < grid.month
            order by stock_at_month_end.month desc
            limit 1
        ) as opening_stock_units
    from grid
    left join booked
        on grid.month = booked.month and grid.product_family = booked.product_family
    left join weighted_pipeline
        on grid.month = weighted_pipeline.month and grid.product_family = weighted_pipeline.product_family
    left join latest_forecast
        on grid.month = latest_forecast.month and grid.product_family = latest_forecast.product_family
    left join capacity
        on grid.month = capacity.capacity_month and grid.product_family = capacity.product_family
),

planned as (
    select
        joined.*,
        case when forecast_units is not null then forecast_units else booked_units end as demand_plan_units
    from joined
),

final as (
    select
        -- grain
        cast(month as date) as month,
        cast(product_family as {{ dbt.type_string() }}) as product_family,

        -- sales
        cast(booked_units as bigint) as booked_units,
        cast(booked_amount as {{ kpi_amount_type() }}) as booked_amount,
        cast(open_opportunities as bigint) as open_opportunities,
        cast(weighted_pipeline_amount as {{ kpi_amount_type() }}) as weighted_pipeline_amount,
        cast(weighted_pipeline_units as {{ kpi_rate_type() }}) as weighted_pipeline_units,
        cast(expected_bookings_amount as {{ kpi_amount_type() }}) as expected_bookings_amount,
        cast(expected_bookings_units as {{ kpi_rate_type() }}) as expected_bookings_units,

        -- forecast
        cast(forecast_units as {{ kpi_rate_type() }}) as forecast_units,
        cast(forecast_run_id as {{ dbt.type_string() }}) as forecast_run_id,

        -- operations
        cast(capacity_units as bigint) as capacity_units,
        cast(opening_stock_units as bigint) as opening_stock_units,

        -- the plan and its gap
        cast(demand_plan_units as {{ kpi_rate_type() }}) as demand_plan_units,
        cast(capacity_units - demand_plan_units as {{ kpi_rate_type() }}) as capacity_gap_units,
        cast(
            case
                when capacity_units is null then 'no_capacity_plan'
                when demand_plan_units > capacity_units + coalesce(opening_stock_units, 0) then 'high'
                when demand_plan_units > capacity_units then 'medium'
                else 'low'
            end as {{ dbt.type_string() }}
        ) as risk_level,
        coalesce(demand_plan_units > capacity_units, false) as is_at_risk
    from planned
)

select * from final
