-- One row per ERP customer with its matched CRM account (int_customers__unified).
with

unified as not materialized (
    select * from {{ ref('int_customers__unified') }}
    where customer_id is not null
),

final as (
    select
        -- ids
        customer_id,
        account_id as crm_account_id,

        -- company
        customer_name,
        account_name as crm_account_name,
        legal_form,
        industry,
        tax_id,
        web_domain,

        -- location
        region,
        country,
        city,

        -- sales ownership
        account_owner_id as crm_account_owner_id,

        -- match
        match_method,
        match_confidence,

        -- dates
        erp_created_on as created_on
    from unified
)

select * from final
