-- BI interface: Customers across ERP and CRM. One row per row of dim_customer; definitions in dim_customer.yml.
select
    customer_id,
    crm_account_id,
    customer_name,
    crm_account_name,
    legal_form,
    industry,
    tax_id,
    web_domain,
    region,
    country,
    city,
    crm_account_owner_id,
    match_method,
    cast(match_confidence as {{ kpi_amount_type() }}) as match_confidence,
    created_on
from {{ ref('dim_customer') }}
