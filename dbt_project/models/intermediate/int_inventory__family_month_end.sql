-- Stock of each product family at the end of each month: on-hand units of all its products in all
-- warehouses on the month's last snapshot day (the latest snapshot_date of the month, over all
-- products). Read by kpi_operations_monthly (stock cover) and kpi_sop_monthly (opening stock).
with

inventory as not materialized (
    select * from {{ ref('fct_inventory_daily') }}
),

products as not materialized (
    select * from {{ ref('dim_product') }}
),

last_snapshot_days as (
    select
        {{ month_start('snapshot_date') }} as month,
        max(snapshot_date) as last_snapshot_date
    from inventory
    group by 1
),

final as (
    select
        -- grain
        last_snapshot_days.month,
        products.product_family,

        -- the day counted and the stock on it
        last_snapshot_days.last_snapshot_date,
        sum(inventory.on_hand_quantity) as on_hand_units
    from last_snapshot_days
    inner join inventory
        on inventory.snapshot_date = last_snapshot_days.last_snapshot_date
    inner join products
        on inventory.product_id = products.product_id
    group by 1, 2, 3
)

select * from final
