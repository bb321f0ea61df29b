-- Promise vs delivery per month, sales rep and product family: what sales promised (the order
-- lines' promised dates and quantities) against what operations shipped. Formulas:
-- kpi_promise_vs_delivery.yml (the single definition). Rows: every month × rep × family with at
-- least one order line due (promised on or before the deliveries' as-of day) in that month.
with

fulfilment as not materialized (
    select * from {{ ref('int_order_lines__fulfilment') }}
),

order_lines as not materialized (
    select * from {{ ref('fct_order_lines') }}
),

opportunities as not materialized (
    select * from {{ ref('fct_opportunities') }}
),

customers as not materialized (
    select * from {{ ref('dim_customer') }}
),

products as not materialized (
    select * from {{ ref('dim_product') }}
),

reps as not materialized (
    select * from {{ ref('dim_sales_rep') }}
),

due_lines as (
    select
        {{ month_start('fulfilment.promised_date') }} as month,
        coalesce(opportunities.sales_rep_id, customers.crm_account_owner_id, 'unassigned') as sales_rep_id,
        products.product_family,
        fulfilment.quantity,
        fulfilment.on_time_filled_units,
        case when fulfilment.shipped_units < fulfilment.quantity then fulfilment.shipped_units else fulfilment.quantity end
            as filled_units,
        fulfilment.is_otif,
        fulfilment.is_fully_shipped,
        case
            when fulfilment.is_fully_shipped and fulfilment.last_ship_date > fulfilment.promised_date
                then {{ days_between('fulfilment.promised_date', 'fulfilment.last_ship_date') }}
        end as days_late,
        {{ days_between('order_lines.order_date', 'fulfilment.promised_date') }} < products.lead_time_days
            as is_promised_inside_lead_time
    from fulfilment
    inner join order_lines
        on fulfilment.order_line_id = order_lines.order_line_id
    inner join products
        on fulfilment.product_id = products.product_id
    left join opportunities
        on order_lines.opportunity_id = opportunities.opportunity_id
    left join customers
        on fulfilment.customer_id = customers.customer_id
    where fulfilment.is_due
),

aggregated as (
    select
        month,
        sales_rep_id,
        product_family,
        count(*) as lines_due,
        sum(quantity) as promised_units,
        sum(on_time_filled_units) as on_time_units,
        sum(filled_units) as shipped_units,
        sum(case when is_otif then 0 else 1 end) as late_lines,
        sum(case when is_fully_shipped and days_late is not null then 1 else 0 end) as late_shipped_lines,
        sum(coalesce(days_late, 0)) as days_late_total,
        sum(case when is_promised_inside_lead_time then 1 else 0 end) as lines_promised_inside_lead_time,
        sum(case when is_promised_inside_lead_time and not is_otif then 1 else 0 end)
            as late_lines_promised_inside_lead_time
    from due_lines
    group by 1, 2, 3
),

final as (
    select
        -- grain
        cast(aggregated.month as date) as month,
        cast(aggregated.sales_rep_id as {{ dbt.type_string() }}) as sales_rep_id,
        cast(reps.territory as {{ dbt.type_string() }}) as territory,
        cast(aggregated.product_family as {{ dbt.type_string() }}) as product_family,

        -- promised
        cast(aggregated.lines_due as bigint) as lines_due,
        cast(aggregated.promised_units as bigint) as promised_units,

        -- delivered
        cast(aggregated.on_time_units as bigint) as on_time_units,
        cast(aggregated.shipped_units as bigint) as shipped_units,
        cast(aggregated.promised_units - aggregated.shipped_units as bigint) as unshipped_units,
        cast(aggregated.late_lines as bigint) as late_lines,
        cast(aggregated.on_time_units as {{ kpi_rate_type() }}) / nullif(aggregated.promised_units, 0)
            as promise_kept_rate,
        cast(aggregated.days_late_total as {{ kpi_rate_type() }}) / nullif(aggregated.late_shipped_lines, 0)
            as avg_days_late,

        -- sold beyond what operations can do
        cast(aggregated.lines_promised_inside_lead_time as bigint) as lines_promised_inside_lead_time,
        cast(aggregated.late_lines_promised_inside_lead_time as bigint) as late_lines_promised_inside_lead_time
    from aggregated
    left join reps
        on aggregated.sales_rep_id = reps.sales_rep_id
)

select * from final
