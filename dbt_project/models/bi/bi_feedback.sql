-- BI interface: Everything customers told us, without personal data. One row per row of fct_feedback; definitions in fct_feedback.yml.
-- The respondent is a salted pseudonym and the text has e-mail addresses and phone numbers redacted
-- (computed in fct_feedback, a table: the salt never appears in this view's stored definition).
select
    feedback_id,
    feedback_type,
    source_record_id,
    customer_id,
    order_id,
    product_id,
    feedback_at,
    feedback_date,
    score,
    score_scale_max,
    is_promoter,
    is_detractor,
    is_satisfied,
    respondent_key,
    feedback_text,
    ticket_status,
    ticket_priority,
    ticket_solved_at
from {{ ref('fct_feedback') }}
