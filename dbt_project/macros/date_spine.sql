{#
    The integers 0 .. 2^bits - 1 as column `n`, from a cross join of ten-row-free bit tables:
    plain SQL, so it runs on any engine.
#}
{% macro integers(bits=15) -%}
    {{ return(adapter.dispatch('integers', 'salesops')(bits)) }}
{%- endmacro %}

{% macro default__integers(bits) -%}
    select
        {% for bit in range(bits) -%}
        b{{ bit }}.v * {{ 2 ** bit }}{{ ' +' if not loop.last }}
        {% endfor -%} as n
    from
        {% for bit in range(bits) -%}
        (select 0 as v union all select 1) as b{{ bit }}{{ ',' if not loop.last }}
        {% endfor %}
{%- endmacro %}

{# Postgres plans the cross join of bit tables as 2^bits rows it cannot estimate; generate_series it can. #}
{% macro postgres__integers(bits) -%}
    select generate_series(0, {{ 2 ** bits - 1 }}) as n
{%- endmacro %}

{#
    Every day from start_date to end_date inclusive as column `date_day`. The bounds are SQL
    expressions (they may be scalar subqueries over the data); at most 2^15 days (~89 years).
#}
{% macro date_spine(start_date, end_date) -%}
    select {{ add_days('bounds.start_date', 'numbers.n') }} as date_day
    from ({{ integers(15) }}) as numbers
    cross join (
        select cast({{ start_date }} as date) as start_date, cast({{ end_date }} as date) as end_date
    ) as bounds
    where numbers.n <= {{ days_between('bounds.start_date', 'bounds.end_date') }}
{%- endmacro %}

{# Every first-of-month from start_month to end_month inclusive as column `month`. #}
{% macro month_spine(start_month, end_month) -%}
    select {{ add_months('bounds.start_month', 'numbers.n') }} as month
    from ({{ integers(11) }}) as numbers
    cross join (
        select {{ month_start(start_month) }} as start_month, {{ month_start(end_month) }} as end_month
    ) as bounds
    where numbers.n <= {{ dbt.datediff('bounds.start_month', 'bounds.end_month', 'month') }}
{%- endmacro %}

{#
    A FROM item to join laterally: every day from `from_day` up to the day before `until_day`
    (columns of the row it is joined to), as column `date_day` of `alias`. Cheaper than joining a
    date spine on two inequalities when each row covers its own stretch of days.
#}
{% macro days_from_until(from_day, until_day, alias) -%}
    {{ dates_from_until(from_day, until_day, 'day', 'date_day', alias) }}
{%- endmacro %}

{#
    A FROM item to join laterally: every first-of-month from `from_month` up to the month before
    `until_month` (both first days of months: columns of the row it is joined to), as column `month`
    of `alias`. Each row covers its own stretch of months.
#}
{% macro months_from_until(from_month, until_month, alias) -%}
    {{ dates_from_until(from_month, until_month, 'month', 'month', alias) }}
{%- endmacro %}

{#
    The dates from `from_date` up to the one before `until_date`, a `unit` (day, month) apart, as
    column `column` of `alias`: generate_series over timestamps, DuckDB and PostgreSQL alike (the
    date is taken from each timestamp).
#}
{% macro dates_from_until(from_date, until_date, unit, column, alias) -%}
    (
        select cast(series_at as date) as {{ column }}
        from generate_series(
            cast({{ from_date }} as {{ dbt.type_timestamp() }}),
            cast({{ until_date }} as {{ dbt.type_timestamp() }}) - interval '1 {{ unit }}',
            interval '1 {{ unit }}'
        ) as series(series_at)
    ) as {{ alias }}
{%- endmacro %}

{# The first first-of-month at or after a timestamp (the month start itself when it is one), as a date. #}
{% macro month_start_at_or_after(timestamp) -%}
    case
        when {{ timestamp }} = cast({{ month_start(timestamp) }} as {{ dbt.type_timestamp() }}) then {{ month_start(timestamp) }}
        else {{ add_months(month_start(timestamp), 1) }}
    end
{%- endmacro %}

{#
    The end (exclusive) of a stretch of month starts bounded by `until_month` and by a moment: the
    month starts before `moment` are those before the first month start at or after it. A null
    moment (a state still current) bounds nothing.
#}
{% macro months_until(until_month, moment) -%}
    case
        when {{ moment }} is null then {{ until_month }}
        else least({{ until_month }}, {{ month_start_at_or_after(moment) }})
    end
{%- endmacro %}
