-- Which ERP customer every CRM account is (grain: account_id), merged duplicates included: an
-- account matched itself (int_account_matches__candidates) resolves to its customer; an account
-- merged into another (deleted, master_account_id set) resolves to the customer of the account it
-- was merged into, with that match's method and confidence. One hop: Salesforce re-points the
-- losers of earlier merges at the new survivor, so a master is never itself merged.
with

accounts as not materialized (
    select * from {{ ref('stg_crm__accounts') }}
),

accepted as not materialized (
    select * from {{ ref('int_account_matches__candidates') }}
    where is_accepted
),

final as (
    select
        -- ids
        accounts.account_id,
        coalesce(own_match.customer_id, master_match.customer_id) as customer_id,
        accounts.master_account_id,

        -- how
        case
            when own_match.account_id is not null then own_match.match_method
            when master_match.account_id is not null then 'merged_into_matched'
            else 'unmatched'
        end as resolved_by,
        coalesce(own_match.match_method, master_match.match_method) as match_method,
        coalesce(own_match.match_confidence, master_match.match_confidence) as match_confidence,
        accounts.is_deleted
    from accounts
    left join accepted as own_match
        on accounts.account_id = own_match.account_id
    left join accepted as master_match
        on accounts.master_account_id = master_match.account_id
        and accounts.is_deleted
)

select * from final
