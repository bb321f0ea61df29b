{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='delivery_id',
        on_schema_change='fail',
        tags=['daily_partitioned'],
        post_hook="{{ delete_vanished_keys(source('erp', 'deliveries'), 'delivery_id', clean_text('raw_row.delivery_id')) }}"
    )
}}
-- One row per delivery (goods issue): units of one order line shipped on one day, latest version.
-- Daily-partitioned: reads only the raw source; an incremental run recomputes every delivery
-- touched by the partition window from all its raw rows.
with

delivery_rows as (
    select
        {{ clean_text('delivery_id') }} as delivery_id,
        {{ clean_text('order_id') }} as order_id,
        line_number,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('warehouse_id') }} as warehouse_id,
        shipped_quantity,
        ship_date,
        changed_on,
        _export_date,
        _loaded_at,
        _source_file
    from {{ source('erp', 'deliveries') }}
),

{% if is_incremental() %}
-- deliveries touched by the window: exported in it, or the stored version came from it
changed_deliveries as (
    select delivery_id from delivery_rows where {{ in_partition_window('_export_date') }}
    union
    select delivery_id from {{ this }} where {{ in_partition_window('_export_date') }}
),

delivery_versions as (
    select delivery_rows.*
    from delivery_rows
    where delivery_rows.delivery_id in (select delivery_id from changed_deliveries)
),
{% else %}
delivery_versions as (
    select * from delivery_rows
),
{% endif %}

latest_deliveries as (
    {{ latest_per_key('delivery_versions', ['delivery_id'], ['changed_on']) }}
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
    from latest_deliveries
)

select * from final
