-- Ordered demand per month, product and customer region as a complete grid: every product and
-- region that ever ordered × every month from the first to the last month with orders, zeros where
-- nothing was ordered. Sums are exact (decimal amounts), so both demand facts aggregate this one
-- grid: fct_demand_product_monthly as it is, fct_demand_monthly per family.
with

demand_lines as not materialized (
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
        grid.month,
        grid.product_id,
        grid.product_family,
        grid.region,
        coalesce(ordered.ordered_units, 0) as ordered_units,
        coalesce(ordered.ordered_amount, 0) as ordered_amount,
        (select max(order_date) from demand_lines) >= {{ month_end('grid.month') }} as is_complete_month
    from grid
    left join ordered
        on grid.month = ordered.month
        and grid.product_id = ordered.product_id
        and grid.region = ordered.region
)

select * from final
