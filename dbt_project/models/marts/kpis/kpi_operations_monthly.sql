-- Operations KPIs per month and product family. Formulas: kpi_operations_monthly.yml (the single
-- definition). Rows: every product family × every month from the first to the last month with an
-- order, promised date, shipment or stock snapshot.
with

order_lines as not materialized (
    select * from {{ ref('fct_order_lines') }}
),

fulfilment as not materialized (
    select * from {{ ref('int_order_lines__fulfilment') }}
),

shipments as not materialized (
    select * from {{ ref('fct_shipments') }}
),

backlog_movements as not materialized (
    select * from {{ ref('int_order_lines__backlog_movements') }}
),

inventory as not materialized (
    select * from {{ ref('fct_inventory_daily') }}
),

month_end_stock as not materialized (
    select * from {{ ref('int_inventory__family_month_end') }}
),

capacity as not materialized (
    select * from {{ ref('stg_erp__capacity') }}
),

products as not materialized (
    select * from {{ ref('dim_product') }}
),

activity_dates as (
    select order_date as activity_date from order_lines
    union all
    select promised_date from order_lines
    union all
    select ship_date from shipments
    union all
    select snapshot_date from inventory
),

months as (
    {{ month_spine('(select min(activity_date) from activity_dates)', '(select max(activity_date) from activity_dates)') }}
),

families as (
    select distinct product_family from products
),

grid as (
    select months.month, families.product_family
    from months
    cross join families
),

ordered as (
    select
        {{ month_start('order_lines.order_date') }} as month,
        products.product_family,
        sum(order_lines.quantity) as ordered_units
    from order_lines
    inner join products
        on order_lines.product_id = products.product_id
    where order_lines.order_date is not null
    group by 1, 2
),

due as (
    select
        {{ month_start('fulfilment.promised_date') }} as month,
        products.product_family,
        count(*) as lines_due,
        sum(case when fulfilment.is_otif then 1 else 0 end) as lines_otif,
        sum(fulfilment.on_time_filled_units) as on_time_filled_units,
        sum(fulfilment.quantity) as due_units
    from fulfilment
    inner join products
        on fulfilment.product_id = products.product_id
    where fulfilment.is_due
    group by 1, 2
),

shipped as (
    select
        {{ month_start('shipments.ship_date') }} as month,
        products.product_family,
        sum(shipments.shipped_quantity) as shipped_units
    from shipments
    inner join products
        on shipments.product_id = products.product_id
    group by 1, 2
),

backlog_changes as (
    select
        {{ month_start('backlog_movements.movement_date') }} as month,
        products.product_family,
        sum(backlog_movements.open_units_change) as open_units_change
    from backlog_movements
    inner join products
        on backlog_movements.product_id = products.product_id
    group by 1, 2
),

joined as (
    select
        grid.month,
        grid.product_family,
        coalesce(ordered.ordered_units, 0) as ordered_units,
        coalesce(due.lines_due, 0) as lines_due,
        coalesce(due.lines_otif, 0) as lines_otif,
        due.on_time_filled_units,
        due.due_units,
        coalesce(shipped.shipped_units, 0) as shipped_units,
        sum(coalesce(backlog_changes.open_units_change, 0)) over (
            partition by grid.product_family
            order by grid.month
            rows between unbounded preceding and current row
        ) as backlog_units,
        capacity.capacity_units,
        month_end_stock.last_snapshot_date,
        month_end_stock.on_hand_units
    from grid
    left join ordered
        on grid.month = ordered.month and grid.product_family = ordered.product_family
    left join due
        on grid.month = due.month and grid.product_family = due.product_family
    left join shipped
        on grid.month = shipped.month and grid.product_family = shipped.product_family
    left join backlog_changes
        on grid.month = backlog_changes.month and grid.product_family = backlog_changes.product_family
    left join capacity
        on grid.month = capacity.capacity_month and grid.product_family = capacity.product_family
    left join month_end_stock
        on grid.month = month_end_stock.month and grid.product_family = month_end_stock.product_family
),

final as (
    select
        -- grain
        cast(month as date) as month,
        cast(product_family as {{ dbt.type_string() }}) as product_family,

        -- demand
        cast(ordered_units as bigint) as ordered_units,

        -- delivery performance (lines due in the month)
        cast(lines_due as bigint) as lines_due,
        cast(lines_otif as bigint) as lines_otif,
        cast(lines_otif as {{ kpi_rate_type() }}) / nullif(lines_due, 0) as otif_rate,
        cast(on_time_filled_units as {{ kpi_rate_type() }}) / nullif(due_units, 0) as fill_rate,

        -- flow
        cast(shipped_units as bigint) as shipped_units,
        cast(case when backlog_units < 0 then 0 else backlog_units end as bigint) as backlog_units,

        -- capacity
        cast(capacity_units as bigint) as capacity_units,
        cast(shipped_units as {{ kpi_rate_type() }}) / nullif(capacity_units, 0) as capacity_utilisation,

        -- stock cover
        cast(on_hand_units as bigint) as on_hand_units_at_month_end,
        cast(on_hand_units as {{ kpi_rate_type() }})
            / nullif(
                cast(shipped_units as {{ kpi_rate_type() }})
                / ({{ days_between('month', 'last_snapshot_date') }} + 1),
                0
            ) as days_of_supply
    from joined
)

select * from final
