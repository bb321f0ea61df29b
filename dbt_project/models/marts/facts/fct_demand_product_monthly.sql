-- Ordered demand per month, product and customer region: the bottom level of the demand forecast's
-- hierarchy (product → family → total; region → total). Complete grid from the first to the last
-- month with orders, for every product and region that has ever ordered, with zeros where nothing
-- was ordered; summed per family it is fct_demand_monthly.
with

demand_lines as (
    select * from {{ ref('int_order_lines__demand') }}
),

months as (
    {{ month_spine('(select min(month) from demand_lines)', '(select max(month) from demand_lines)') }}
),

products as (
    select distinct product_id, product_family from demand_lines
),

regions as (
    select distinct region from demand_lines
),

grid as (
    select months.month, products.product_id, products.product_family, regions.region
    from months
    cross join products
    cross join regions
),

ordered as (
    select
        month,
        product_id,
        region,
        sum(quantity) as ordered_units,
        sum(net_amount) as ordered_amount
    from demand_lines
    group by month, product_id, region
),

final as (
    select
        -- grain
        cast(grid.month as date) as month,
        cast(grid.product_id as {{ dbt.type_string() }}) as product_id,
        cast(grid.region as {{ dbt.type_string() }}) as region,

        -- attributes
        cast(grid.product_family as {{ dbt.type_string() }}) as product_family,

        -- measures
        cast(coalesce(ordered.ordered_units, 0) as bigint) as ordered_units,
        cast(coalesce(ordered.ordered_amount, 0) as {{ kpi_amount_type() }}) as ordered_amount,

        -- completeness
        cast((select max(order_date) from demand_lines) >= {{ month_end('grid.month') }} as boolean) as is_complete_month
    from grid
    left join ordered
        on grid.month = ordered.month
        and grid.product_id = ordered.product_id
        and grid.region = ordered.region
)

select * from final
