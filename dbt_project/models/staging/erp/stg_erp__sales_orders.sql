{% set key = ['order_id'] %}
{{ config(unique_key=key) }}
-- Latest version of every sales order header (key order_id).
with

source as not materialized (
    select * from {{ source('erp', 'sales_orders') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('external_reference') }} as opportunity_id,

        -- attributes
        {{ clean_text('sales_org') }} as sales_org,
        {{ clean_code('currency_code') }} as currency_code,
        {{ clean_text('order_status') }} as order_status,

        -- dates and lineage
        order_date,
        created_on,
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
        customer_id,
        opportunity_id,
        sales_org,
        currency_code,
        order_status,
        order_date,
        created_on,
        changed_on,
        _export_date
    from latest
)

select * from final
