{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        unique_key='delivery_id',
        on_schema_change='fail',
        tags=['daily_partitioned']
    )
}}
-- One row per delivery (goods issue): units of one order line shipped on one day, latest version.
-- Daily-partitioned: built by the daily load from stg_erp__deliveries (built just before it in the
-- same run); an incremental run rewrites the deliveries the partition window touched.
with

deliveries as (
    {{ rows_of_window_keys(ref('stg_erp__deliveries'), ['delivery_id']) }}
),

final as (
    select
        -- ids
        delivery_id,
        {{ surrogate_key(['order_id', 'line_number']) }} as order_line_id,
        order_id,
        line_number,
        product_id,
        warehouse_id,

        -- measure and date
        shipped_quantity,
        ship_date,

        -- version and lineage
        changed_on,
        _export_date
    from deliveries
)

select * from final
