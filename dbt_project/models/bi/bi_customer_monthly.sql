-- BI interface: Customer KPIs per month and region. One row per row of kpi_customer_monthly; definitions in kpi_customer_monthly.yml.
select
    month,
    region,
    nps_responses,
    nps,
    csat_responses,
    csat,
    avg_review_rating,
    reviews,
    tickets_opened,
    tickets_solved,
    active_customers,
    churned_customers,
    churn_rate
from {{ ref('kpi_customer_monthly') }}
