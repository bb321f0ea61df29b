{% set key = ['customer_id'] %}
{{ config(unique_key=key) }}
-- Latest version of every ERP customer (key customer_id).
with

source as not materialized (
    select * from {{ source('erp', 'customers') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('customer_id') }} as customer_id,

        -- company
        {{ clean_text('customer_name') }} as customer_name,
        {{ clean_text('legal_form') }} as legal_form,
        {{ clean_text('tax_id') }} as tax_id,
        {{ clean_text('web_address') }} as web_address,
        {{ clean_email('email') }} as email,
        {{ clean_text('phone') }} as phone,

        -- address
        {{ clean_text('street') }} as street,
        {{ clean_text('city') }} as city,
        {{ clean_text('postal_code') }} as postal_code,
        {{ clean_code('country') }} as country,
        {{ clean_text('region') }} as region,

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
        customer_id,
        customer_name,
        legal_form,
        tax_id,
        web_address,
        email,
        phone,
        street,
        city,
        postal_code,
        country,
        region,
        created_on,
        changed_on,
        _export_date
    from latest
)

select * from final
