{% set key = ['account_id'] %}
{{ config(unique_key=key) }}
-- Latest version of every CRM account (key account_id).
with

source as not materialized (
    select * from {{ source('crm', 'accounts') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('account_id') }} as account_id,
        {{ clean_text('owner_id') }} as owner_id,
        {{ clean_text('master_record_id') }} as master_account_id,

        -- company
        {{ clean_text('account_name') }} as account_name,
        {{ clean_text('website') }} as website,
        {{ clean_text('tax_id') }} as tax_id,
        {{ clean_text('industry') }} as industry,

        -- billing address
        {{ clean_text('billing_street') }} as billing_street,
        {{ clean_text('billing_city') }} as billing_city,
        {{ clean_text('billing_postal_code') }} as billing_postal_code,
        {{ clean_text('billing_country') }} as billing_country,

        -- merge state: a merged duplicate is deleted and points at the surviving account
        coalesce(is_deleted, false) as is_deleted,

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
        account_id,
        owner_id,
        master_account_id,
        account_name,
        website,
        tax_id,
        industry,
        billing_street,
        billing_city,
        billing_postal_code,
        billing_country,
        is_deleted,
        created_at,
        last_modified_at,
        _export_date
    from latest
)

select * from final
