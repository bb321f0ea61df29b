{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        unique_key='order_line_id',
        on_schema_change='fail',
        tags=['daily_partitioned']
    )
}}
-- One row per sales order line: the line's latest version with its order header's customer and
-- order date. Daily-partitioned: built by the daily load from stg_erp__sales_order_lines and
-- stg_erp__sales_orders (built just before it in the same run); an incremental run rewrites the
-- lines the partition window touched, and every line of an order whose header it touched.
with

orders as not materialized (
    select * from {{ ref('stg_erp__sales_orders') }}
),

latest_lines as (
    {{ rows_of_window_keys(
        ref('stg_erp__sales_order_lines'), ['order_id', 'line_number'], ['_export_date', 'order_export_date'],
        parent=('orders', ['order_id'])
    ) }}
),

-- the headers of the lines rewritten; on a full build every header (a filter would need every line
-- twice: DuckDB copies a CTE read twice, 9.7M lines at 10M order lines)
latest_orders as (
    select orders.*
    from orders
    {%- if is_incremental() %}
    where orders.order_id in (select order_id from latest_lines)
    {%- endif %}
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
