{% set key = ['review_id'] %}
{{ config(unique_key=key) }}
-- Latest version of every product review (key review_id).
with

source as not materialized (
    select * from {{ source('feedback', 'reviews') }}
),

renamed as (
    select
        -- ids
        {{ clean_text('review_id') }} as review_id,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('customer_id') }} as customer_id,

        -- review
        rating,
        {{ clean_text('title') }} as review_title,
        {{ clean_text('body') }} as review_text,

        -- timestamps and lineage
        created_at,
        _export_date,
        _loaded_at,
        _source_file
    from source
),

latest as (
    {{ latest_staged_versions('renamed', key, ['created_at']) }}
),

final as (
    select
        review_id,
        product_id,
        customer_id,
        rating,
        review_title,
        review_text,
        created_at,
        _export_date
    from latest
)

select * from final
