{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='inventory_snapshot_id',
        on_schema_change='fail',
        tags=['daily_partitioned'],
        post_hook="{{ delete_vanished_keys(source('erp', 'inventory'), 'inventory_snapshot_id',
            surrogate_key(['raw_row.snapshot_date', clean_text('raw_row.product_id'), clean_text('raw_row.warehouse_id')])) }}"
    )
}}
-- One row per snapshot day, product and warehouse: end-of-day on-hand stock (latest export of
-- that snapshot). Daily-partitioned: reads only the raw source; an incremental run recomputes
-- every snapshot touched by the partition window from all its raw rows.
with

snapshot_rows as (
    select
        snapshot_date,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('warehouse_id') }} as warehouse_id,
        on_hand_quantity,
        _export_date,
        _loaded_at,
        _source_file
    from {{ source('erp', 'inventory') }}
),

{% if is_incremental() %}
-- snapshots touched by the window: exported in it, or the stored version came from it
changed_snapshots as (
    select snapshot_date, product_id, warehouse_id
    from snapshot_rows
    where {{ in_partition_window('_export_date') }}
    union
    select snapshot_date, product_id, warehouse_id
    from {{ this }}
    where {{ in_partition_window('_export_date') }}
),

snapshot_versions as (
    select snapshot_rows.*
    from snapshot_rows
    inner join changed_snapshots
        on snapshot_rows.snapshot_date = changed_snapshots.snapshot_date
        and snapshot_rows.product_id = changed_snapshots.product_id
        and snapshot_rows.warehouse_id = changed_snapshots.warehouse_id
),
{% else %}
snapshot_versions as (
    select * from snapshot_rows
),
{% endif %}

latest_snapshots as (
    {{ latest_per_key('snapshot_versions', ['snapshot_date', 'product_id', 'warehouse_id'], ['snapshot_date']) }}
),

final as (
    select
        -- ids
        {{ surrogate_key(['snapshot_date', 'product_id', 'warehouse_id']) }} as inventory_snapshot_id,
        snapshot_date,
        product_id,
        warehouse_id,

        -- measure
        on_hand_quantity,

        -- lineage
        _export_date
    from latest_snapshots
)

select * from final
