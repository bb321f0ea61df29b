{% set key = ['response_id'] %}
{{ config(unique_key=key) }}
-- Latest version of every survey response (key response_id): NPS (0-10) and CSAT (1-5) answers.
with

source as not materialized (
    select * from {{ source('feedback', 'survey_responses') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('response_id') }} as response_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('order_id') }} as order_id,

        -- answer
        {{ clean_code('survey_type') }} as survey_type,
        score,
        {{ clean_text('comment') }} as comment,
        {{ clean_email('respondent_email') }} as respondent_email,

        -- timestamps and lineage
        submitted_at,
        _export_date,
        _loaded_at,
        _source_file
    from source
),

latest as (
    {{ latest_staged_versions('renamed', key, ['submitted_at']) }}
),

final as (
    select
        response_id,
        customer_id,
        order_id,
        survey_type,
        score,
        comment,
        respondent_email,
        submitted_at,
        _export_date
    from latest
)

select * from final
