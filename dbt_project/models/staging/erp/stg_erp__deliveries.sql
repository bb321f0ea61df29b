{% set key = ['delivery_id'] %}
{{ config(unique_key=key) }}
-- Latest version of every delivery (key delivery_id): units shipped against one sales order line.
-- fct_shipments adds the order line key to these rows.
with

source as not materialized (
    select * from {{ source('erp', 'deliveries') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('delivery_id') }} as delivery_id,
        {{ clean_text('order_id') }} as order_id,
        line_number,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('warehouse_id') }} as warehouse_id,

        -- measure and date
        shipped_quantity,
        ship_date,

        -- dates and lineage
        changed_on,
        _export_date,
        _loaded_at,
        _source_file
    from source
),

latest as (
    {{ latest_staged_versions('renamed', key, ['changed_on']) }}
),

final as (
    select
        delivery_id,
        order_id,
        line_number,
        product_id,
        warehouse_id,
        shipped_quantity,
        ship_date,
        changed_on,
        _export_date
    from latest
)

select * from final
