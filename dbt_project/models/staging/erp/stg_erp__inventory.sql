{% set key = ['snapshot_date', 'product_id', 'warehouse_id'] %}
{{ config(unique_key=key) }}
-- End-of-day stock per snapshot day, product and warehouse (key snapshot_date, product_id, warehouse_id);
-- a snapshot re-sent on a later export day replaces the earlier one.
with

source as not materialized (
    select * from {{ source('erp', 'inventory') }}
),

renamed as (
    select
        -- grain
        snapshot_date,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('warehouse_id') }} as warehouse_id,

        -- measure
        on_hand_quantity,

        -- lineage
        _export_date,
        _loaded_at,
        _source_file
    from source
),

latest as (
    {{ latest_staged_versions('renamed', key, ['snapshot_date']) }}
),

final as (
    select
        snapshot_date,
        product_id,
        warehouse_id,
        on_hand_quantity,
        _export_date
    from latest
)

select * from final
