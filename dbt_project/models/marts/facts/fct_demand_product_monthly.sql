-- Ordered demand per month, product and customer region: the bottom level of the demand forecast's
-- hierarchy (product → family → total; region → total). Complete grid from the first to the last
-- month with orders, for every product and region that has ever ordered, with zeros where nothing
-- was ordered; summed per family it is fct_demand_monthly.
with

grid as not materialized (
    select * from {{ ref('int_demand__product_month_grid') }}
),

final as (
    select
        -- grain
        cast(month as date) as month,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(region as {{ dbt.type_string() }}) as region,

        -- attributes
        cast(product_family as {{ dbt.type_string() }}) as product_family,

        -- measures
        cast(ordered_units as bigint) as ordered_units,
        cast(ordered_amount as {{ kpi_amount_type() }}) as ordered_amount,

        -- completeness
        cast(is_complete_month as boolean) as is_complete_month
    from grid
)

select * from final
