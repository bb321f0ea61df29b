{% set key = ['product_id'] %}
{{ config(unique_key=key) }}
-- Latest version of every product (key product_id).
with

source as not materialized (
    select * from {{ source('erp', 'products') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('product_id') }} as product_id,

        -- attributes
        {{ clean_text('product_name') }} as product_name,
        {{ clean_text('product_family') }} as product_family,
        {{ clean_text('product_category') }} as product_category,
        {{ clean_code('currency_code') }} as currency_code,

        -- measures
        unit_cost,
        list_price,
        lead_time_days,

        -- dates and lineage
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
        product_id,
        product_name,
        product_family,
        product_category,
        currency_code,
        unit_cost,
        list_price,
        lead_time_days,
        created_on,
        changed_on,
        _export_date
    from latest
)

select * from final
