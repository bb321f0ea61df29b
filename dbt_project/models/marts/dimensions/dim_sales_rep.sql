-- One row per CRM user (sales reps and their managers), with the manager's name.
with

users as not materialized (
    select * from {{ ref('stg_crm__users') }}
),

final as (
    select
        -- ids
        users.user_id as sales_rep_id,
        users.manager_id,

        -- person and assignment
        users.user_name as sales_rep_name,
        users.title,
        users.territory,
        users.region,
        managers.user_name as manager_name,
        users.is_active
    from users
    left join users as managers
        on users.manager_id = managers.user_id
)

select * from final
