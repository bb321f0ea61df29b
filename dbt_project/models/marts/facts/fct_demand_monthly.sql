-- Ordered demand per month, product family and customer region: the series the demand forecast
-- learns from (contract enforced). Complete grid from the first to the last month with orders, for
-- every family and region that has ever ordered, with zeros where nothing was ordered.
with

demand_lines as (
    select * from {{ ref('int_order_lines__demand') }}
),

months as (
    {{ month_spine('(select min(month) from demand_lines)', '(select max(month) from demand_lines)') }}
),

families as (
    select distinct product_family from demand_lines
),

regions as (
    select distinct region from demand_lines
),

grid as (
    select months.month, families.product_family, regions.region
    from months
    cross join families
    cross join regions
),

ordered as (
    select
        month,
        product_family,
        region,
        sum(quantity) as ordered_units,
        sum(net_amount) as ordered_amount
    from demand_lines
    group by month, product_family, region
),

final as (
    select
        -- grain
        cast(grid.month as date) as month,
        cast(grid.product_family as {{ dbt.type_string() }}) as product_family,
        cast(grid.region as {{ dbt.type_string() }}) as region,

        -- measures
        cast(coalesce(ordered.ordered_units, 0) as bigint) as ordered_units,
        cast(coalesce(ordered.ordered_amount, 0) as {{ kpi_amount_type() }}) as ordered_amount,

        -- completeness
        cast((select max(order_date) from demand_lines) >= {{ month_end('grid.month') }} as boolean) as is_complete_month
    from grid
    left join ordered
        on grid.month = ordered.month
        and grid.product_family = ordered.product_family
        and grid.region = ordered.region
)

select * from final
