-- Every candidate pairing of a CRM account with an ERP customer, by the evidence that links them,
-- and which pairs are accepted. Matching runs in three rounds, strongest evidence first:
--   1. tax_id  (normalised tax id equal)                                   confidence 1.0
--   2. domain  (normalised web domain equal)                               confidence 0.9
--   3. name    (normalised company name equal)                             confidence 0.7
--   4. address (country, postal code and normalised street equal)          confidence 0.6
-- A domain, name or address pair is no candidate when both sides carry a tax id and the ids differ.
-- Each round considers only accounts and customers not accepted in an earlier round and accepts a
-- pair only when it is unique on both sides in that round (one customer for the account and one
-- account for the customer); the rest of the round's pairs are ambiguous.
with

accounts as (
    select
        account_id,
        account_name,
        {{ normalize_tax_id('tax_id') }} as tax_key,
        {{ normalize_domain('website') }} as domain_key,
        {{ normalize_company_name('account_name') }} as name_key,
        {{ address_key('billing_country', 'billing_postal_code', 'billing_street') }} as address_key
    from {{ ref('stg_crm__accounts') }}
    where not is_deleted
),

customers as (
    select
        customer_id,
        customer_name,
        {{ normalize_tax_id('tax_id') }} as tax_key,
        {{ normalize_domain('web_address') }} as domain_key,
        {{ normalize_company_name('customer_name') }} as name_key,
        {{ address_key('country', 'postal_code', 'street') }} as address_key
    from {{ ref('stg_erp__customers') }}
),

pairs as (
    select
        accounts.account_id,
        customers.customer_id,
        1 as match_round,
        'tax_id' as match_method,
        accounts.tax_key as match_key
    from accounts
    inner join customers
        on accounts.tax_key = customers.tax_key

    union all

    select
        accounts.account_id,
        customers.customer_id,
        2 as match_round,
        'domain' as match_method,
        accounts.domain_key as match_key
    from accounts
    inner join customers
        on accounts.domain_key = customers.domain_key
        and not coalesce(accounts.tax_key <> customers.tax_key, false)

    union all

    select
        accounts.account_id,
        customers.customer_id,
        3 as match_round,
        'name' as match_method,
        accounts.name_key as match_key
    from accounts
    inner join customers
        on accounts.name_key = customers.name_key
        and not coalesce(accounts.tax_key <> customers.tax_key, false)

    union all

    select
        accounts.account_id,
        customers.customer_id,
        4 as match_round,
        'address' as match_method,
        accounts.address_key as match_key
    from accounts
    inner join customers
        on accounts.address_key = customers.address_key
        and not coalesce(accounts.tax_key <> customers.tax_key, false)
),

{% for round in [1, 2, 3, 4] %}
round_{{ round }}_pairs as (
    select
        pairs.*,
        count(*) over (partition by pairs.account_id) as customers_for_account,
        count(*) over (partition by pairs.customer_id) as accounts_for_customer
    from pairs
    where pairs.match_round = {{ round }}
    {%- for earlier in range(1, round) %}
        and pairs.account_id not in (select account_id from round_{{ earlier }}_accepted)
        and pairs.customer_id not in (select customer_id from round_{{ earlier }}_accepted)
    {%- endfor %}
),

round_{{ round }}_accepted as (
    select account_id, customer_id
    from round_{{ round }}_pairs
    where customers_for_account = 1 and accounts_for_customer = 1
),
{% endfor %}

considered as (
    {% for round in [1, 2, 3, 4] -%}
    select * from round_{{ round }}_pairs
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        -- ids
        considered.account_id,
        considered.customer_id,

        -- evidence
        considered.match_round,
        considered.match_method,
        considered.match_key,
        cast(
            case considered.match_method
                when 'tax_id' then 1.0
                when 'domain' then 0.9
                when 'name' then 0.7
                when 'address' then 0.6
            end as {{ dbt.type_numeric() }}
        ) as match_confidence,
        considered.customers_for_account,
        considered.accounts_for_customer,

        -- outcome
        considered.customers_for_account = 1 and considered.accounts_for_customer = 1 as is_accepted
    from considered
)

select * from final
