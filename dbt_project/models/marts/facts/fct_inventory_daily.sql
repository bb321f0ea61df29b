{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        unique_key='inventory_snapshot_id',
        on_schema_change='fail',
        tags=['daily_partitioned']
    )
}}
-- One row per snapshot day, product and warehouse: end-of-day on-hand stock (latest export of
-- that snapshot). Daily-partitioned: built by the daily load from stg_erp__inventory (built just
-- before it in the same run); an incremental run rewrites the snapshots the partition window touched.
with

snapshots as (
    {{ rows_of_window_keys(ref('stg_erp__inventory'), ['snapshot_date', 'product_id', 'warehouse_id']) }}
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
    from snapshots
)

select * from final
