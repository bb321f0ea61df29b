{% set key = ['order_id', 'line_number'] %}
{{ config(unique_key=key) }}
-- Latest version of every sales order line (key order_id, line_number).
-- fct_order_lines joins these lines to their order headers.
with

source as not materialized (
    select * from {{ source('erp', 'sales_order_lines') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('order_id') }} as order_id,
        line_number,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('warehouse_id') }} as warehouse_id,

        -- attributes
        {{ clean_text('line_status') }} as line_status,
        {{ clean_code('currency_code') }} as currency_code,

        -- measures
        quantity,
        unit_price,
        net_amount,

        -- dates and lineage
        requested_date,
        promised_date,
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
        order_id,
        line_number,
        product_id,
        warehouse_id,
        line_status,
        currency_code,
        quantity,
        unit_price,
        net_amount,
        requested_date,
        promised_date,
        changed_on,
        _export_date
    from latest
)

select * from final
