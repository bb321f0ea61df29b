-- Movements of each order line's open (unshipped) units: +quantity on the order date, then
-- -units shipped on each delivery, never taking the line below zero open units (shipments beyond
-- the ordered quantity do not reduce the backlog of other lines). A shipment before the order
-- date counts on the order date. Summed up to a day, the movements give the backlog at that day.
with

-- read three times, each for a few columns: not materialized, or DuckDB copies every column of every
-- line first (this view runs inside kpi_operations_monthly and its tests: 10.2 -> 7.2 s at 10M)
order_lines as not materialized (
    select * from {{ ref('fct_order_lines') }}
    where order_date is not null
),

shipments as not materialized (
    select * from {{ ref('fct_shipments') }}
),

shipments_running as (
    select
        shipments.order_line_id,
        shipments.ship_date,
        shipments.shipped_quantity,
        order_lines.order_date,
        order_lines.quantity,
        sum(shipments.shipped_quantity) over (
            partition by shipments.order_line_id
            order by shipments.ship_date, shipments.delivery_id
            rows between unbounded preceding and current row
        ) as shipped_to_date
    from shipments
    inner join order_lines
        on shipments.order_line_id = order_lines.order_line_id
),

shipments_capped as (
    select
        order_line_id,
        ship_date,
        order_date,
        case when shipped_to_date < quantity then shipped_to_date else quantity end as capped_after,
        case
            when shipped_to_date - shipped_quantity < quantity then shipped_to_date - shipped_quantity
            else quantity
        end as capped_before
    from shipments_running
),

shipment_movements as (
    select
        order_line_id,
        case when ship_date < order_date then order_date else ship_date end as movement_date,
        'shipment' as movement_type,
        capped_before - capped_after as open_units_change
    from shipments_capped
),

order_movements as (
    select
        order_line_id,
        order_date as movement_date,
        'order' as movement_type,
        quantity as open_units_change
    from order_lines
),

movements as (
    select order_line_id, movement_date, movement_type, open_units_change from order_movements
    union all
    select order_line_id, movement_date, movement_type, open_units_change from shipment_movements
),

final as (
    select
        movements.order_line_id,
        order_lines.product_id,
        movements.movement_date,
        movements.movement_type,
        movements.open_units_change
    from movements
    inner join order_lines
        on movements.order_line_id = order_lines.order_line_id
    where movements.open_units_change <> 0
)

select * from final
