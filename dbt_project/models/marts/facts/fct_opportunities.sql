-- One row per opportunity (latest version): stage, amount, dates, owner and the ERP customer of
-- its account. Closed = stage Closed Won or Closed Lost; won = Closed Won.
with

opportunities as not materialized (
    select * from {{ ref('stg_crm__opportunities') }}
),

customers as not materialized (
    select * from {{ ref('int_accounts__resolved') }}
),

stage_changes as (
    select
        opportunity_id,
        count(*) as stage_changes
    from {{ ref('int_opportunities__stage_history') }}
    group by opportunity_id
),

final as (
    select
        -- ids
        opportunities.opportunity_id,
        opportunities.account_id,
        customers.customer_id,
        opportunities.owner_id as sales_rep_id,

        -- attributes
        opportunities.opportunity_name,
        opportunities.stage_name,
        opportunities.stage_name in ('Closed Won', 'Closed Lost') as is_closed,
        opportunities.stage_name = 'Closed Won' as is_won,
        opportunities.opportunity_type,
        opportunities.lead_source,
        opportunities.forecast_category,
        opportunities.product_family,
        opportunities.currency_code,

        -- measures
        opportunities.amount,
        opportunities.probability,
        opportunities.quantity,
        coalesce(stage_changes.stage_changes, 0) as recorded_changes,
        case
            when opportunities.stage_name in ('Closed Won', 'Closed Lost')
                then {{ days_between('opportunities.created_date', 'opportunities.close_date') }}
        end as sales_cycle_days,

        -- dates
        opportunities.created_date,
        opportunities.close_date,
        {{ month_start('opportunities.close_date') }} as close_month,
        opportunities.created_at,
        opportunities.last_modified_at
    from opportunities
    left join customers
        on opportunities.account_id = customers.account_id
    left join stage_changes
        on opportunities.opportunity_id = stage_changes.opportunity_id
)

select * from final
