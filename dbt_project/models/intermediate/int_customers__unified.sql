-- One row per customer entity across CRM and ERP: every ERP customer (with its matched CRM
-- account, if any) and every CRM account that matched no ERP customer. Matching rules:
-- int_account_matches__candidates.
with

customers as not materialized (
    select * from {{ ref('stg_erp__customers') }}
),

accounts as not materialized (
    select * from {{ ref('stg_crm__accounts') }}
),

accepted as not materialized (
    select * from {{ ref('int_account_matches__candidates') }}
    where is_accepted
),

erp_customers as (
    select
        customers.customer_id as unified_customer_id,
        customers.customer_id,
        accepted.account_id,
        customers.customer_name,
        accounts.account_name,
        customers.legal_form,
        customers.region,
        coalesce(customers.country, accounts.billing_country) as country,
        coalesce(customers.city, accounts.billing_city) as city,
        {{ normalize_tax_id('coalesce(customers.tax_id, accounts.tax_id)') }} as tax_id,
        {{ normalize_domain('coalesce(customers.web_address, accounts.website)') }} as web_domain,
        accounts.owner_id as account_owner_id,
        accounts.industry,
        customers.created_on as erp_created_on,
        coalesce(accepted.match_method, 'unmatched') as match_method,
        accepted.match_confidence,
        case when accepted.account_id is null then 'erp' else 'erp+crm' end as found_in
    from customers
    left join accepted
        on customers.customer_id = accepted.customer_id
    left join accounts
        on accepted.account_id = accounts.account_id
),

crm_only_accounts as (
    select
        'crm:' || accounts.account_id as unified_customer_id,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        accounts.account_id,
        cast(null as {{ dbt.type_string() }}) as customer_name,
        accounts.account_name,
        cast(null as {{ dbt.type_string() }}) as legal_form,
        cast(null as {{ dbt.type_string() }}) as region,
        accounts.billing_country as country,
        accounts.billing_city as city,
        {{ normalize_tax_id('accounts.tax_id') }} as tax_id,
        {{ normalize_domain('accounts.website') }} as web_domain,
        accounts.owner_id as account_owner_id,
        accounts.industry,
        cast(null as date) as erp_created_on,
        'unmatched' as match_method,
        cast(null as {{ dbt.type_numeric() }}) as match_confidence,
        'crm' as found_in
    from accounts
    where accounts.account_id not in (select account_id from accepted)
        and not accounts.is_deleted
),

unioned as (
    select * from erp_customers
    union all
    select * from crm_only_accounts
),

final as (
    select
        -- ids
        unified_customer_id,
        customer_id,
        account_id,

        -- company
        coalesce(customer_name, account_name) as display_name,
        customer_name,
        account_name,
        legal_form,
        industry,
        tax_id,
        web_domain,

        -- location
        region,
        country,
        city,

        -- ownership and dates
        account_owner_id,
        erp_created_on,

        -- match
        match_method,
        match_confidence,
        found_in
    from unioned
)

select * from final
