-- Open pipeline at the start of each month: one row per opportunity and month whose first day
-- (00:00) found it open. An opportunity counts when it was created before the month start and was
-- not closed at that moment. Its stage and amount at that moment come from the stage history (the
-- state valid at the month start); without a recorded state then, the current record decides:
-- open unless it is closed with a close date before the month, at its current amount.
-- Months run from the first opportunity's creation month to the month after the latest change.
with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

stage_history as (
    select * from {{ ref('int_opportunities__stage_history') }}
),

months as (
    {{ month_spine(
        '(select min(created_date) from ' ~ ref('stg_crm__opportunities') ~ ')',
        add_months('(select ' ~ month_start('max(last_modified_at)') ~ ' from ' ~ ref('stg_crm__opportunities') ~ ')', 1)
    ) }}
),

opportunity_months as (
    select
        opportunities.opportunity_id,
        opportunities.owner_id,
        opportunities.stage_name as current_stage_name,
        opportunities.amount as current_amount,
        opportunities.close_date as current_close_date,
        months.month,
        cast(months.month as {{ dbt.type_timestamp() }}) as month_start_at
    from opportunities
    inner join months
        on opportunities.created_at < cast(months.month as {{ dbt.type_timestamp() }})
),

with_state as (
    select
        opportunity_months.*,
        stage_history.history_id,
        stage_history.is_closed as state_is_closed,
        stage_history.amount as state_amount
    from opportunity_months
    left join stage_history
        on opportunity_months.opportunity_id = stage_history.opportunity_id
        and stage_history.valid_from <= opportunity_months.month_start_at
        and (stage_history.valid_to is null or stage_history.valid_to > opportunity_months.month_start_at)
),

open_at_start as (
    select
        opportunity_id,
        owner_id,
        month,
        history_id is not null as state_from_history,
        coalesce(case when history_id is not null then state_amount end, current_amount) as open_amount
    from with_state
    where
        case
            when history_id is not null then not state_is_closed
            else not (current_stage_name in ('Closed Won', 'Closed Lost') and current_close_date < month)
        end
),

final as (
    select
        -- ids
        opportunity_id,
        owner_id as sales_rep_id,

        -- grain
        month,

        -- measure
        open_amount,
        state_from_history
    from open_at_start
)

select * from final
