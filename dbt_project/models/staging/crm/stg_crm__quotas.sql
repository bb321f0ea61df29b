{% set key = ['quota_id'] %}
{{ config(unique_key=key) }}
-- Latest version of every quota record (key quota_id): a rep's bookings quota for one month.
with

source as not materialized (
    select * from {{ source('crm', 'quotas') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('quota_id') }} as quota_id,
        {{ clean_text('owner_id') }} as sales_rep_id,

        -- period and measure
        {{ month_start('period_start') }} as quota_month,
        quota_amount,
        {{ clean_code('currency_code') }} as currency_code,

        -- timestamps and lineage
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
        quota_id,
        sales_rep_id,
        quota_month,
        quota_amount,
        currency_code,
        last_modified_at,
        _export_date
    from latest
)

select * from final
