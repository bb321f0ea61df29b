-- CRM accounts and ERP customers left unmatched, for a data steward to resolve: one row per
-- unmatched account or customer, with the reason (no_candidate: no tax id, domain, name or address in
-- common with anything unmatched on the other side; ambiguous: candidates existed but none was
-- unique on both sides) and the candidates seen.
with

candidates as not materialized (
    select * from {{ ref('int_account_matches__candidates') }}
),

unified as not materialized (
    select * from {{ ref('int_customers__unified') }}
),

unmatched_accounts as (
    select
        'crm_account' as record_type,
        account_id as record_id,
        account_name as record_name
    from unified
    where found_in = 'crm'
),

unmatched_customers as (
    select
        'erp_customer' as record_type,
        customer_id as record_id,
        customer_name as record_name
    from unified
    where found_in = 'erp'
),

account_candidates as (
    select
        'crm_account' as record_type,
        account_id as record_id,
        count(*) as candidate_count,
        min(match_round) as best_round,
        {{ dbt.listagg("customer_id || ' (' || match_method || ')'", "', '", "order by customer_id") }} as candidates
    from candidates
    where not is_accepted
    group by account_id
),

customer_candidates as (
    select
        'erp_customer' as record_type,
        customer_id as record_id,
        count(*) as candidate_count,
        min(match_round) as best_round,
        {{ dbt.listagg("account_id || ' (' || match_method || ')'", "', '", "order by account_id") }} as candidates
    from candidates
    where not is_accepted
    group by customer_id
),

unmatched as (
    select * from unmatched_accounts
    union all
    select * from unmatched_customers
),

all_candidates as (
    select * from account_candidates
    union all
    select * from customer_candidates
),

final as (
    select
        -- ids
        unmatched.record_type || ':' || unmatched.record_id as exception_id,
        unmatched.record_type,
        unmatched.record_id,
        unmatched.record_name,

        -- why
        case when all_candidates.candidate_count is null then 'no_candidate' else 'ambiguous' end as reason,
        coalesce(all_candidates.candidate_count, 0) as candidate_count,
        case all_candidates.best_round when 1 then 'tax_id' when 2 then 'domain' when 3 then 'name' when 4 then 'address' end
            as strongest_candidate_method,
        all_candidates.candidates
    from unmatched
    left join all_candidates
        on unmatched.record_type = all_candidates.record_type
        and unmatched.record_id = all_candidates.record_id
)

select * from final
