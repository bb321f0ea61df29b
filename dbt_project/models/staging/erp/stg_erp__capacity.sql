{% set key = ['capacity_month', 'product_family'] %}
{{ config(unique_key=key) }}
-- Latest revision of the capacity plan per month and product family (key capacity_month, product_family).
with

source as not materialized (
    select * from {{ source('erp', 'capacity') }}
),

renamed as (
    select
        -- grain
        {{ month_start('capacity_month') }} as capacity_month,
        {{ clean_text('product_family') }} as product_family,

        -- measure
        capacity_units,

        -- timestamps and lineage
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
        capacity_month,
        product_family,
        capacity_units,
        changed_on,
        _export_date
    from latest
)

select * from final
