-- BI interface: Sales reps (no contact details). One row per row of dim_sales_rep; definitions in dim_sales_rep.yml.
select
    sales_rep_id,
    manager_id,
    sales_rep_name,
    title,
    territory,
    region,
    manager_name,
    is_active
from {{ ref('dim_sales_rep') }}
