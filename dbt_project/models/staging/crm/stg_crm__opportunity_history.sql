{% set key = ['history_id'] %}
{{ config(unique_key=key) }}
-- Every recorded change of an opportunity's stage, amount, probability or close date (key history_id).
with

source as not materialized (
    select * from {{ source('crm', 'opportunity_history') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('history_id') }} as history_id,
        {{ clean_text('opportunity_id') }} as opportunity_id,
        {{ clean_text('created_by_id') }} as changed_by_id,

        -- state after the change
        {{ clean_text('stage_name') }} as stage_name,
        amount,
        probability,
        close_date,

        -- timestamps and lineage
        created_at as changed_at,
        _export_date,
        _loaded_at,
        _source_file
    from source
),

latest as (
    {{ latest_staged_versions('renamed', key, ['changed_at']) }}
),

final as (
    select
        history_id,
        opportunity_id,
        changed_by_id,
        stage_name,
        amount,
        probability,
        close_date,
        changed_at,
        _export_date
    from latest
)

select * from final
