-- Ordered demand per month, product family and customer region: the series the demand forecast
-- learns from (contract enforced): the product grid (int_demand__product_month_grid) summed per
-- family. Complete grid: every family and region that has ever ordered × every month, zeros where
-- nothing was ordered.
with

grid as not materialized (
    select * from {{ ref('int_demand__product_month_grid') }}
),

by_family as (
    select
        month,
        product_family,
        region,
        is_complete_month,
        sum(ordered_units) as ordered_units,
        sum(ordered_amount) as ordered_amount
    from grid
    group by month, product_family, region, is_complete_month
),

final as (
    select
        -- grain
        cast(month as date) as month,
        cast(product_family as {{ dbt.type_string() }}) as product_family,
        cast(region as {{ dbt.type_string() }}) as region,

        -- measures
        cast(ordered_units as bigint) as ordered_units,
        cast(ordered_amount as {{ kpi_amount_type() }}) as ordered_amount,

        -- completeness
        cast(is_complete_month as boolean) as is_complete_month
    from by_family
)

select * from final
