-- Open pipeline as it stood at the end of each day, by stage, sales rep and product family: every
-- opportunity state of the stage history (int_opportunities__stage_history) counts on each day
-- from the day it was recorded up to the day before the next change, while it is open. A state
-- replaced on the day it was recorded never counts. Opportunities without any recorded state count
-- in their current stage from their creation day while open (until their close date once closed).
-- Days run from the first opportunity's creation to the latest export day with a CRM opportunity.
-- Owner and product family are the opportunity's current ones (the history does not record them).
with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

stage_history as (
    select * from {{ ref('int_opportunities__stage_history') }}
),

reps as (
    select * from {{ ref('stg_crm__users') }}
),

recorded_states as (
    select
        opportunity_id,
        stage_name,
        is_closed,
        amount,
        probability,
        cast(valid_from as date) as first_day,
        cast(valid_to as date) as end_day
    from stage_history
),

unrecorded_states as (
    select
        opportunity_id,
        stage_name,
        stage_name in ('Closed Won', 'Closed Lost') as is_closed,
        amount,
        probability,
        created_date as first_day,
        cast(null as date) as end_day
    from opportunities
    where opportunity_id not in (select opportunity_id from stage_history)
),

open_states as (
    select * from recorded_states where not is_closed
    union all
    select * from unrecorded_states where not is_closed
),

bounds as (
    select
        min(created_date) as first_day,
        max(_export_date) as last_day
    from opportunities
),

days as (
    {{ date_spine('(select first_day from bounds)', '(select last_day from bounds)') }}
),

open_by_day as (
    select
        days.date_day,
        open_states.opportunity_id,
        open_states.stage_name,
        open_states.amount,
        open_states.probability
    from open_states
    inner join days
        on days.date_day >= open_states.first_day
        and (open_states.end_day is null or days.date_day < open_states.end_day)
),

final as (
    select
        -- grain
        open_by_day.date_day,
        open_by_day.stage_name,
        opportunities.owner_id as sales_rep_id,
        opportunities.product_family,

        -- the rep's territory (an attribute of sales_rep_id, kept for slicing)
        reps.territory,

        -- measures
        count(*) as open_opportunities,
        cast(sum(cast(coalesce(open_by_day.amount, 0) as {{ exact_measure_type() }})) as {{ kpi_amount_type() }}) as open_amount,
        cast(
            sum(cast(coalesce(open_by_day.amount, 0) * coalesce(open_by_day.probability, 0) / 100.0 as {{ exact_measure_type() }}))
            as {{ kpi_amount_type() }}
        ) as weighted_amount
    from open_by_day
    inner join opportunities
        on open_by_day.opportunity_id = opportunities.opportunity_id
    left join reps
        on opportunities.owner_id = reps.user_id
    group by 1, 2, 3, 4, 5
)

select * from final
