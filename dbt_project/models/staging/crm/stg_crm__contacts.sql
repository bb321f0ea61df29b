{% set key = ['contact_id'] %}
{{ config(unique_key=key) }}
-- Latest version of every CRM contact (key contact_id). Holds PII: names, e-mail, phone.
with

source as not materialized (
    select * from {{ source('crm', 'contacts') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('contact_id') }} as contact_id,
        {{ clean_text('account_id') }} as account_id,

        -- person (PII)
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_email('email') }} as email,
        {{ clean_text('phone') }} as phone,
        {{ clean_text('title') }} as title,

        -- timestamps and lineage
        created_at,
        last_modified_at,
        _export_date,
        _loaded_at,
        _source_file
    from source
),

latest as (
    {{ latest_staged_versions('renamed', key, ['last_modified_at']) }}
),

final as (
    select
        contact_id,
        account_id,
        first_name,
        last_name,
        email,
        phone,
        title,
        created_at,
        last_modified_at,
        _export_date
    from latest
)

select * from final
