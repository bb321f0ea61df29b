-- BI interface: Products. One row per row of dim_product; definitions in dim_product.yml.
select
    product_id,
    product_name,
    product_family,
    product_category,
    cast(unit_cost as {{ kpi_amount_type() }}) as unit_cost,
    cast(list_price as {{ kpi_amount_type() }}) as list_price,
    currency_code,
    cast(unit_margin as {{ kpi_amount_type() }}) as unit_margin,
    lead_time_days,
    created_on,
    changed_on
from {{ ref('dim_product') }}
