-- One row per calendar day, whole years covering every date the data holds (orders, promised and
-- ship dates, stock snapshots, opportunities, quotas, feedback).
with

bounds as (
    select min(first_date) as first_date, max(last_date) as last_date
    from (
        select min(order_date) as first_date, max(order_date) as last_date from {{ ref('stg_erp__sales_orders') }}
        union all
        select min(requested_date), max(promised_date) from {{ ref('stg_erp__sales_order_lines') }}
        union all
        select min(ship_date), max(ship_date) from {{ ref('stg_erp__deliveries') }}
        union all
        select min(snapshot_date), max(snapshot_date) from {{ ref('stg_erp__inventory') }}
        union all
        select min(created_date), max(close_date) from {{ ref('stg_crm__opportunities') }}
        union all
        select min(quota_month), max(quota_month) from {{ ref('stg_crm__quotas') }}
        union all
        select cast(min(submitted_at) as date), cast(max(submitted_at) as date) from {{ ref('stg_feedback__survey_responses') }}
        union all
        select cast(min(created_at) as date), cast(max(created_at) as date) from {{ ref('stg_feedback__tickets') }}
    ) as per_source
),

days as (
    {{ date_spine(
        dbt.date_trunc('year', '(select first_date from bounds)'),
        dbt.last_day('(select last_date from bounds)', 'year')
    ) }}
),

final as (
    select
        date_day,

        -- calendar
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        cast(extract(month from date_day) as integer) as month_number,
        case cast(extract(month from date_day) as integer)
            when 1 then 'January' when 2 then 'February' when 3 then 'March' when 4 then 'April'
            when 5 then 'May' when 6 then 'June' when 7 then 'July' when 8 then 'August'
            when 9 then 'September' when 10 then 'October' when 11 then 'November' else 'December'
        end as month_name,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(isodow from date_day) as integer) as iso_day_of_week,
        cast(extract(isodow from date_day) as integer) in (6, 7) as is_weekend,

        -- periods
        {{ month_start('date_day') }} as month_start,
        {{ month_end('date_day') }} as month_end,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
        {{ days_between(month_start('date_day'), month_end('date_day')) }} + 1 as days_in_month
    from days
)

select * from final
