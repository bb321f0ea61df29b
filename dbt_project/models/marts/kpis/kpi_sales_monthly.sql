-- Sales KPIs per month and sales rep. Formulas: kpi_sales_monthly.yml (the single definition).
-- Rows: every rep × month with a quota, a closed deal (close month) or open pipeline at the month start.
with

opportunities as not materialized (
    select * from {{ ref('fct_opportunities') }}
),

open_pipeline as not materialized (
    select * from {{ ref('int_opportunities__open_at_month_start') }}
),

quotas as not materialized (
    select * from {{ ref('stg_crm__quotas') }}
),

sales_reps as not materialized (
    select * from {{ ref('dim_sales_rep') }}
),

closed_deals as (
    select
        close_month as month,
        sales_rep_id,
        coalesce(sum(case when is_won then amount end), 0) as bookings_amount,
        sum(case when is_won then 1 else 0 end) as won_count,
        sum(case when is_won then 0 else 1 end) as lost_count,
        avg(case when is_won then case when sales_cycle_days < 0 then 0 else sales_cycle_days end end)
            as avg_sales_cycle_days
    from opportunities
    where is_closed
    group by close_month, sales_rep_id
),

pipeline as (
    select
        month,
        sales_rep_id,
        coalesce(sum(open_amount), 0) as pipeline_amount_at_month_start
    from open_pipeline
    group by month, sales_rep_id
),

-- one quota per rep and month: the most recently modified quota record
latest_quotas as (
    select
        quota_month as month,
        sales_rep_id,
        quota_amount,
        row_number() over (
            partition by sales_rep_id, quota_month
            order by last_modified_at desc, _export_date desc, quota_id desc
        ) as quota_rank
    from quotas
),

rep_months as (
    select month, sales_rep_id from closed_deals
    union
    select month, sales_rep_id from pipeline
    union
    select month, sales_rep_id from latest_quotas where quota_rank = 1
),

joined as (
    select
        rep_months.month,
        rep_months.sales_rep_id,
        sales_reps.sales_rep_name,
        sales_reps.territory,
        sales_reps.region,
        coalesce(closed_deals.bookings_amount, 0) as bookings_amount,
        coalesce(closed_deals.won_count, 0) as won_count,
        coalesce(closed_deals.lost_count, 0) as lost_count,
        closed_deals.avg_sales_cycle_days,
        coalesce(pipeline.pipeline_amount_at_month_start, 0) as pipeline_amount_at_month_start,
        latest_quotas.quota_amount
    from rep_months
    left join closed_deals
        on rep_months.month = closed_deals.month and rep_months.sales_rep_id = closed_deals.sales_rep_id
    left join pipeline
        on rep_months.month = pipeline.month and rep_months.sales_rep_id = pipeline.sales_rep_id
    left join latest_quotas
        on rep_months.month = latest_quotas.month
        and rep_months.sales_rep_id = latest_quotas.sales_rep_id
        and latest_quotas.quota_rank = 1
    left join sales_reps
        on rep_months.sales_rep_id = sales_reps.sales_rep_id
),

final as (
    select
        -- grain
        cast(month as date) as month,
        cast(sales_rep_id as {{ dbt.type_string() }}) as sales_rep_id,

        -- rep
        cast(sales_rep_name as {{ dbt.type_string() }}) as sales_rep_name,
        cast(territory as {{ dbt.type_string() }}) as territory,
        cast(region as {{ dbt.type_string() }}) as region,

        -- closed deals
        cast(bookings_amount as {{ kpi_amount_type() }}) as bookings_amount,
        cast(won_count as bigint) as won_count,
        cast(lost_count as bigint) as lost_count,
        cast(won_count as {{ kpi_rate_type() }}) / nullif(won_count + lost_count, 0) as win_rate,
        cast(bookings_amount as {{ kpi_rate_type() }}) / nullif(won_count, 0) as avg_deal_size,
        cast(avg_sales_cycle_days as {{ kpi_rate_type() }}) as avg_sales_cycle_days,

        -- pipeline and quota
        cast(pipeline_amount_at_month_start as {{ kpi_amount_type() }}) as pipeline_amount_at_month_start,
        cast(quota_amount as {{ kpi_amount_type() }}) as quota_amount,
        cast(pipeline_amount_at_month_start as {{ kpi_rate_type() }}) / nullif(quota_amount, 0) as pipeline_coverage,
        cast(bookings_amount as {{ kpi_rate_type() }}) / nullif(quota_amount, 0) as quota_attainment
    from joined
)

select * from final
