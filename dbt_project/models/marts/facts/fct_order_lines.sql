{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_line_id',
        on_schema_change='fail',
        tags=['daily_partitioned'],
        post_hook="{{ delete_vanished_keys(source('erp', 'sales_order_lines'), 'order_line_id',
            surrogate_key([clean_text('raw_row.order_id'), 'raw_row.line_number'])) }}"
    )
}}
-- One row per sales order line: the line's latest version with its order header's customer and
-- order date. Daily-partitioned: reads only raw sources (it runs before staging is ever built);
-- an incremental run recomputes every line touched by the partition window from all its raw rows.
-- line_rows and order_rows clean and name columns exactly as stg_erp__sales_order_lines and
-- stg_erp__sales_orders do (same columns, same order), so both pick the same latest version.
with

line_rows as (
    select
        {{ clean_text('order_id') }} as order_id,
        line_number,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('warehouse_id') }} as warehouse_id,
        {{ clean_text('line_status') }} as line_status,
        {{ clean_code('currency_code') }} as currency_code,
        quantity,
        unit_price,
        net_amount,
        requested_date,
        promised_date,
        changed_on,
        _export_date,
        _loaded_at,
        _source_file
    from {{ source('erp', 'sales_order_lines') }}
),

order_rows as (
    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('external_reference') }} as opportunity_id,
        {{ clean_text('sales_org') }} as sales_org,
        {{ clean_code('currency_code') }} as currency_code,
        {{ clean_text('order_status') }} as order_status,
        order_date,
        created_on,
        changed_on,
        _export_date,
        _loaded_at,
        _source_file
    from {{ source('erp', 'sales_orders') }}
),

{% if is_incremental() %}
-- orders touched by the window: header exported in it, or the stored header version came from it
changed_orders as (
    select order_id from order_rows where {{ in_partition_window('_export_date') }}
    union
    select order_id from {{ this }} where {{ in_partition_window('order_export_date') }}
),

-- lines touched by the window: exported in it, stored version from it, or their header changed
changed_lines as (
    select order_id, line_number from line_rows where {{ in_partition_window('_export_date') }}
    union
    select order_id, line_number from {{ this }} where {{ in_partition_window('_export_date') }}
    union
    select line_rows.order_id, line_rows.line_number
    from line_rows
    inner join changed_orders on line_rows.order_id = changed_orders.order_id
),

line_versions as (
    select line_rows.*
    from line_rows
    inner join (select distinct order_id, line_number from changed_lines) as changed
        on line_rows.order_id = changed.order_id and line_rows.line_number = changed.line_number
),
{% else %}
line_versions as (
    select * from line_rows
),
{% endif %}

latest_lines as (
    {{ latest_per_key('line_versions', ['order_id', 'line_number'], ['changed_on']) }}
),

order_versions as (
    select order_rows.*
    from order_rows
    where order_rows.order_id in (select order_id from latest_lines)
),

latest_orders as (
    {{ latest_per_key('order_versions', ['order_id'], ['changed_on']) }}
),

final as (
    select
        -- ids
        {{ surrogate_key(['latest_lines.order_id', 'latest_lines.line_number']) }} as order_line_id,
        latest_lines.order_id,
        latest_lines.line_number,
        latest_orders.customer_id,
        latest_lines.product_id,
        latest_lines.warehouse_id,
        latest_orders.opportunity_id,

        -- status
        latest_lines.line_status,
        latest_orders.order_status,
        latest_lines.currency_code,

        -- measures
        latest_lines.quantity,
        latest_lines.unit_price,
        latest_lines.net_amount,

        -- dates
        latest_orders.order_date,
        latest_lines.requested_date,
        latest_lines.promised_date,

        -- versions and lineage
        latest_lines.changed_on as line_changed_on,
        latest_orders.changed_on as order_changed_on,
        latest_lines._export_date,
        latest_orders._export_date as order_export_date
    from latest_lines
    left join latest_orders
        on latest_lines.order_id = latest_orders.order_id
)

select * from final
