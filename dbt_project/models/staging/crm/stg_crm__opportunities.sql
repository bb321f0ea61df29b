{% set key = ['opportunity_id'] %}
{{ config(unique_key=key) }}
-- Latest version of every opportunity (key opportunity_id): its current stage, amount, close date and owner.
with

source as not materialized (
    select * from {{ source('crm', 'opportunities') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('opportunity_id') }} as opportunity_id,
        {{ clean_text('account_id') }} as account_id,
        {{ clean_text('owner_id') }} as owner_id,

        -- attributes
        {{ clean_text('opportunity_name') }} as opportunity_name,
        {{ clean_text('stage_name') }} as stage_name,
        {{ clean_text('opportunity_type') }} as opportunity_type,
        {{ clean_text('lead_source') }} as lead_source,
        {{ clean_text('forecast_category') }} as forecast_category,
        {{ clean_text('product_family') }} as product_family,
        {{ clean_code('currency_code') }} as currency_code,
        is_closed as is_closed_exported,
        is_won as is_won_exported,

        -- measures
        amount,
        probability,
        quantity,

        -- dates
        close_date,
        created_at,
        cast(created_at as date) as created_date,
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
        opportunity_id,
        account_id,
        owner_id,
        opportunity_name,
        stage_name,
        opportunity_type,
        lead_source,
        forecast_category,
        product_family,
        currency_code,
        is_closed_exported,
        is_won_exported,
        amount,
        probability,
        quantity,
        close_date,
        created_at,
        created_date,
        last_modified_at,
        _export_date
    from latest
)

select * from final
