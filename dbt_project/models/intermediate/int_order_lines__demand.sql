-- Order lines as demand: the month of their order date, their product and family, their
-- customer's region. Lines whose order date, product or customer is unknown are left out. The one
-- definition of demand that fct_demand_monthly and fct_demand_product_monthly both sum.
with

order_lines as not materialized (
    select * from {{ ref('fct_order_lines') }}
    where order_date is not null
),

products as not materialized (
    select * from {{ ref('dim_product') }}
),

customers as not materialized (
    select * from {{ ref('dim_customer') }}
),

final as (
    select
        {{ month_start('order_lines.order_date') }} as month,
        order_lines.order_date,
        order_lines.product_id,
        products.product_family,
        customers.region,
        order_lines.quantity,
        order_lines.net_amount
    from order_lines
    inner join products
        on order_lines.product_id = products.product_id
    inner join customers
        on order_lines.customer_id = customers.customer_id
)

select * from final
