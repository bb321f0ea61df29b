-- BI interface: Promise vs delivery per month, sales rep and product family. One row per row of kpi_promise_vs_delivery; definitions in kpi_promise_vs_delivery.yml.
select
    month,
    sales_rep_id,
    territory,
    product_family,
    lines_due,
    promised_units,
    on_time_units,
    shipped_units,
    unshipped_units,
    late_lines,
    promise_kept_rate,
    avg_days_late,
    lines_promised_inside_lead_time,
    late_lines_promised_inside_lead_time
from {{ ref('kpi_promise_vs_delivery') }}
