-- One row per order line with what was shipped against it: in total and on or before the promised date.
-- The building block of OTIF and fill rate (kpi_operations_monthly). A line is due once its promised
-- date is on or before the deliveries' as-of day (the latest delivery export loaded): a line promised
-- for a later day cannot have failed yet, whatever has shipped.
with

order_lines as not materialized (
    select * from {{ ref('fct_order_lines') }}
),

shipments as not materialized (
    select * from {{ ref('fct_shipments') }}
),

deliveries_as_of as (
    select max(_export_date) as as_of_date from shipments
),

shipped_per_line as (
    select
        shipments.order_line_id,
        count(*) as deliveries,
        sum(shipments.shipped_quantity) as shipped_units,
        sum(
            case when shipments.ship_date <= order_lines.promised_date then shipments.shipped_quantity else 0 end
        ) as shipped_on_time_units,
        min(shipments.ship_date) as first_ship_date,
        max(shipments.ship_date) as last_ship_date
    from shipments
    inner join order_lines
        on shipments.order_line_id = order_lines.order_line_id
    group by shipments.order_line_id
),

final as (
    select
        -- ids
        order_lines.order_line_id,
        order_lines.order_id,
        order_lines.line_number,
        order_lines.customer_id,
        order_lines.product_id,

        -- dates
        order_lines.order_date,
        order_lines.promised_date,
        shipped_per_line.first_ship_date,
        shipped_per_line.last_ship_date,

        -- measures
        order_lines.quantity,
        coalesce(shipped_per_line.deliveries, 0) as deliveries,
        coalesce(shipped_per_line.shipped_units, 0) as shipped_units,
        coalesce(shipped_per_line.shipped_on_time_units, 0) as shipped_on_time_units,
        case
            when coalesce(shipped_per_line.shipped_on_time_units, 0) < order_lines.quantity
                then coalesce(shipped_per_line.shipped_on_time_units, 0)
            else order_lines.quantity
        end as on_time_filled_units,

        -- flags
        coalesce(order_lines.promised_date <= (select as_of_date from deliveries_as_of), false) as is_due,
        coalesce(shipped_per_line.shipped_on_time_units, 0) >= order_lines.quantity as is_otif,
        coalesce(shipped_per_line.shipped_units, 0) >= order_lines.quantity as is_fully_shipped
    from order_lines
    left join shipped_per_line
        on order_lines.order_line_id = shipped_per_line.order_line_id
)

select * from final
