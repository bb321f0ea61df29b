-- Customer KPIs per month and customer region (the ERP customer's region). Formulas:
-- kpi_customer_monthly.yml (the single definition). Rows: every region × every month from the
-- first to the last month with an order or feedback. Feedback from customers unknown to the ERP
-- counts in no region.
with

feedback as not materialized (
    select * from {{ ref('fct_feedback') }}
),

order_lines as not materialized (
    select * from {{ ref('fct_order_lines') }}
),

customers as not materialized (
    select * from {{ ref('dim_customer') }}
),

regional_feedback as (
    select
        feedback.*,
        customers.region
    from feedback
    inner join customers
        on feedback.customer_id = customers.customer_id
),

customer_order_months as (
    select distinct
        order_lines.customer_id,
        customers.region,
        {{ month_start('order_lines.order_date') }} as order_month
    from order_lines
    inner join customers
        on order_lines.customer_id = customers.customer_id
    where order_lines.order_date is not null
),

activity_dates as (
    select order_month as activity_date from customer_order_months
    union all
    select feedback_date from regional_feedback
    union all
    select cast(ticket_solved_at as date) from regional_feedback
),

months as (
    {{ month_spine('(select min(activity_date) from activity_dates)', '(select max(activity_date) from activity_dates)') }}
),

regions as (
    select distinct region from customers where region is not null
),

grid as (
    select months.month, regions.region
    from months
    cross join regions
),

surveys as (
    select
        {{ month_start('feedback_at') }} as month,
        region,
        sum(case when feedback_type = 'nps' then 1 else 0 end) as nps_responses,
        sum(case when feedback_type = 'nps' and is_promoter then 1 else 0 end) as promoters,
        sum(case when feedback_type = 'nps' and is_detractor then 1 else 0 end) as detractors,
        sum(case when feedback_type = 'csat' then 1 else 0 end) as csat_responses,
        sum(case when feedback_type = 'csat' and is_satisfied then 1 else 0 end) as satisfied_responses,
        sum(case when feedback_type = 'review' then 1 else 0 end) as reviews,
        avg(case when feedback_type = 'review' then score end) as avg_review_rating,
        sum(case when feedback_type = 'ticket' then 1 else 0 end) as tickets_opened
    from regional_feedback
    group by 1, 2
),

solved_tickets as (
    select
        {{ month_start('ticket_solved_at') }} as month,
        region,
        count(*) as tickets_solved
    from regional_feedback
    where feedback_type = 'ticket' and ticket_solved_at is not null
    group by 1, 2
),

-- a customer is active in the 12 months starting with each month it ordered in
active_customer_months as (
    select distinct
        customer_order_months.customer_id,
        customer_order_months.region,
        {{ add_months('customer_order_months.order_month', 'offsets.n') }} as month
    from customer_order_months
    cross join ({{ integers(4) }}) as offsets
    where offsets.n < 12
),

activity as (
    select
        grid.month,
        grid.region,
        count(distinct current_window.customer_id) as active_customers
    from grid
    inner join active_customer_months as current_window
        on grid.month = current_window.month and grid.region = current_window.region
    group by 1, 2
),

previous_activity as (
    select
        grid.month,
        grid.region,
        count(distinct previous_window.customer_id) as previously_active_customers,
        count(distinct case when current_window.customer_id is null then previous_window.customer_id end)
            as churned_customers
    from grid
    inner join active_customer_months as previous_window
        on previous_window.month = {{ add_months('grid.month', -1) }}
        and grid.region = previous_window.region
    left join active_customer_months as current_window
        on current_window.customer_id = previous_window.customer_id
        and current_window.month = grid.month
    group by 1, 2
),

joined as (
    select
        grid.month,
        grid.region,
        coalesce(surveys.nps_responses, 0) as nps_responses,
        surveys.promoters,
        surveys.detractors,
        coalesce(surveys.csat_responses, 0) as csat_responses,
        surveys.satisfied_responses,
        coalesce(surveys.reviews, 0) as reviews,
        surveys.avg_review_rating,
        coalesce(surveys.tickets_opened, 0) as tickets_opened,
        coalesce(solved_tickets.tickets_solved, 0) as tickets_solved,
        coalesce(activity.active_customers, 0) as active_customers,
        coalesce(previous_activity.previously_active_customers, 0) as previously_active_customers,
        coalesce(previous_activity.churned_customers, 0) as churned_customers
    from grid
    left join surveys
        on grid.month = surveys.month and grid.region = surveys.region
    left join solved_tickets
        on grid.month = solved_tickets.month and grid.region = solved_tickets.region
    left join activity
        on grid.month = activity.month and grid.region = activity.region
    left join previous_activity
        on grid.month = previous_activity.month and grid.region = previous_activity.region
),

final as (
    select
        -- grain
        cast(month as date) as month,
        cast(region as {{ dbt.type_string() }}) as region,

        -- net promoter score
        cast(nps_responses as bigint) as nps_responses,
        100 * cast(promoters - detractors as {{ kpi_rate_type() }}) / nullif(nps_responses, 0) as nps,

        -- customer satisfaction
        cast(csat_responses as bigint) as csat_responses,
        100 * cast(satisfied_responses as {{ kpi_rate_type() }}) / nullif(csat_responses, 0) as csat,

        -- reviews
        cast(avg_review_rating as {{ kpi_rate_type() }}) as avg_review_rating,
        cast(reviews as bigint) as reviews,

        -- support
        cast(tickets_opened as bigint) as tickets_opened,
        cast(tickets_solved as bigint) as tickets_solved,

        -- retention
        cast(active_customers as bigint) as active_customers,
        cast(churned_customers as bigint) as churned_customers,
        cast(churned_customers as {{ kpi_rate_type() }}) / nullif(previously_active_customers, 0) as churn_rate
    from joined
)

select * from final
