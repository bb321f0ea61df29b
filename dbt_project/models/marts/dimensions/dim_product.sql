-- One row per product (latest ERP version).
with

products as not materialized (
    select * from {{ ref('stg_erp__products') }}
),

final as (
    select
        -- ids
        product_id,

        -- attributes
        product_name,
        product_family,
        product_category,

        -- economics
        unit_cost,
        list_price,
        currency_code,
        list_price - unit_cost as unit_margin,

        -- replenishment
        lead_time_days,

        -- dates
        created_on,
        changed_on
    from products
)

select * from final
