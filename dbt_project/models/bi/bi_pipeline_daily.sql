-- BI interface: Open pipeline as it stood at the end of each day by stage, rep and product family. One row per row of fct_pipeline_daily; definitions in fct_pipeline_daily.yml.
select
    date_day,
    stage_name,
    sales_rep_id,
    product_family,
    territory,
    open_opportunities,
    cast(open_amount as {{ kpi_amount_type() }}) as open_amount,
    cast(weighted_amount as {{ kpi_amount_type() }}) as weighted_amount
from {{ ref('fct_pipeline_daily') }}
