{% set key = ['ticket_id'] %}
{{ config(unique_key=key) }}
-- Latest version of every support ticket (key ticket_id).
with

source as not materialized (
    select * from {{ source('feedback', 'tickets') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('order_id') }} as order_id,

        -- ticket
        {{ clean_email('requester_email') }} as requester_email,
        {{ clean_text('subject') }} as subject,
        {{ clean_text('description') }} as description,
        lower({{ clean_text('ticket_type') }}) as ticket_type,
        lower({{ clean_text('priority') }}) as priority,
        lower({{ clean_text('status') }}) as status,
        lower({{ clean_text('channel') }}) as channel,

        -- timestamps and lineage
        created_at,
        updated_at,
        solved_at,
        _export_date,
        _loaded_at,
        _source_file
    from source
),

latest as (
    {{ latest_staged_versions('renamed', key, ['updated_at']) }}
),

final as (
    select
        ticket_id,
        customer_id,
        order_id,
        requester_email,
        subject,
        description,
        ticket_type,
        priority,
        status,
        channel,
        created_at,
        updated_at,
        solved_at,
        _export_date
    from latest
)

select * from final
