{% set key = ['user_id'] %}
{{ config(unique_key=key) }}
-- Latest version of every CRM user (key user_id): sales reps and their managers.
with

source as not materialized (
    select * from {{ source('crm', 'users') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('user_id') }} as user_id,
        {{ clean_text('manager_id') }} as manager_id,

        -- person and assignment
        {{ clean_text('full_name') }} as user_name,
        {{ clean_email('email') }} as email,
        {{ clean_text('title') }} as title,
        {{ clean_text('territory') }} as territory,
        {{ clean_text('region') }} as region,
        is_active,

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
        user_id,
        manager_id,
        user_name,
        email,
        title,
        territory,
        region,
        is_active,
        created_at,
        last_modified_at,
        _export_date
    from latest
)

select * from final
