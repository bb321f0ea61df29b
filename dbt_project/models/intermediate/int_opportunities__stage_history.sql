{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        unique_key='opportunity_id',
        on_schema_change='fail',
        tags=['daily_partitioned']
    )
}}
-- Each opportunity's recorded states as validity intervals: the state a history row records holds
-- from its change (valid_from) until the next change of the same opportunity (valid_to, exclusive;
-- NULL for the current state). Daily-partitioned: built by the daily load right after
-- stg_crm__opportunity_history; an incremental run recomputes every state of the opportunities the
-- partition window touched (a new change ends the state before it and renumbers nothing else).
with

history as (
    {{ rows_of_window_keys(ref('stg_crm__opportunity_history'), ['opportunity_id']) }}
),

ordered as (
    select
        history_id,
        opportunity_id,
        stage_name,
        amount,
        probability,
        close_date,
        changed_by_id,
        changed_at,
        _export_date,
        row_number() over (partition by opportunity_id order by changed_at, history_id) as change_number,
        lead(changed_at) over (partition by opportunity_id order by changed_at, history_id) as next_changed_at
    from history
),

final as (
    select
        -- ids
        history_id,
        opportunity_id,
        change_number,

        -- state
        stage_name,
        stage_name in ('Closed Won', 'Closed Lost') as is_closed,
        stage_name = 'Closed Won' as is_won,
        amount,
        probability,
        close_date,
        changed_by_id,

        -- validity
        changed_at as valid_from,
        next_changed_at as valid_to,

        -- lineage: the export day of the history row's staged version
        _export_date
    from ordered
)

select * from final
