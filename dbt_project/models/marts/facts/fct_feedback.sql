-- Everything customers told us, one row per piece of feedback (long format):
--   nps     survey answer 0-10 (promoter 9-10, passive 7-8, detractor 0-6)
--   csat    survey answer 1-5 (satisfied 4-5)
--   review  product review, rating 1-5
--   ticket  support ticket (opened at feedback_at, solved at ticket_solved_at)
-- No personal data from here on: the respondent is a salted pseudonym of their e-mail address and
-- the text has e-mail addresses and phone numbers redacted (macros/pii.sql).
with

survey_responses as not materialized (
    select * from {{ ref('stg_feedback__survey_responses') }}
),

reviews as not materialized (
    select * from {{ ref('stg_feedback__reviews') }}
),

tickets as not materialized (
    select * from {{ ref('stg_feedback__tickets') }}
),

surveys as (
    select
        lower(survey_type) || ':' || response_id as feedback_id,
        lower(survey_type) as feedback_type,
        response_id as source_record_id,
        customer_id,
        order_id,
        cast(null as {{ dbt.type_string() }}) as product_id,
        submitted_at as feedback_at,
        score,
        case when survey_type = 'NPS' then 10 else 5 end as score_scale_max,
        case when survey_type = 'NPS' then score >= 9 end as is_promoter,
        case when survey_type = 'NPS' then score <= 6 end as is_detractor,
        case when survey_type = 'CSAT' then score >= 4 end as is_satisfied,
        {{ pii_hash('respondent_email') }} as respondent_key,
        {{ redact_pii('comment') }} as feedback_text,
        cast(null as {{ dbt.type_string() }}) as ticket_status,
        cast(null as {{ dbt.type_string() }}) as ticket_priority,
        cast(null as {{ dbt.type_timestamp() }}) as ticket_solved_at
    from survey_responses
),

product_reviews as (
    select
        'review:' || review_id as feedback_id,
        'review' as feedback_type,
        review_id as source_record_id,
        customer_id,
        cast(null as {{ dbt.type_string() }}) as order_id,
        product_id,
        created_at as feedback_at,
        rating as score,
        5 as score_scale_max,
        cast(null as boolean) as is_promoter,
        cast(null as boolean) as is_detractor,
        cast(null as boolean) as is_satisfied,
        cast(null as {{ dbt.type_string() }}) as respondent_key,
        {{ redact_pii("coalesce(review_title || ': ' || review_text, review_title, review_text)") }} as feedback_text,
        cast(null as {{ dbt.type_string() }}) as ticket_status,
        cast(null as {{ dbt.type_string() }}) as ticket_priority,
        cast(null as {{ dbt.type_timestamp() }}) as ticket_solved_at
    from reviews
),

support_tickets as (
    select
        'ticket:' || ticket_id as feedback_id,
        'ticket' as feedback_type,
        ticket_id as source_record_id,
        customer_id,
        order_id,
        cast(null as {{ dbt.type_string() }}) as product_id,
        created_at as feedback_at,
        cast(null as integer) as score,
        cast(null as integer) as score_scale_max,
        cast(null as boolean) as is_promoter,
        cast(null as boolean) as is_detractor,
        cast(null as boolean) as is_satisfied,
        {{ pii_hash('requester_email') }} as respondent_key,
        {{ redact_pii("coalesce(subject || ': ' || description, subject, description)") }} as feedback_text,
        status as ticket_status,
        priority as ticket_priority,
        solved_at as ticket_solved_at
    from tickets
),

unioned as (
    select * from surveys
    union all
    select * from product_reviews
    union all
    select * from support_tickets
),

final as (
    select
        -- ids
        feedback_id,
        feedback_type,
        source_record_id,
        customer_id,
        order_id,
        product_id,

        -- when
        feedback_at,
        cast(feedback_at as date) as feedback_date,

        -- score
        score,
        score_scale_max,
        is_promoter,
        is_detractor,
        is_satisfied,

        -- who (pseudonym), text (redacted) and ticket state
        respondent_key,
        feedback_text,
        ticket_status,
        ticket_priority,
        ticket_solved_at
    from unioned
)

select * from final
