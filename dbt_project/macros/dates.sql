{# Date helpers built on dbt's cross-database macros; every result is a DATE. #}

{# First day of the month of a date or timestamp. #}
{% macro month_start(expression) -%}
    cast({{ dbt.date_trunc('month', expression) }} as date)
{%- endmacro %}

{# Last day of the month of a date or timestamp. #}
{% macro month_end(expression) -%}
    cast({{ dbt.last_day(expression, 'month') }} as date)
{%- endmacro %}

{# A date shifted by a number of days / months. #}
{% macro add_days(expression, days) -%}
    cast({{ dbt.dateadd('day', days, expression) }} as date)
{%- endmacro %}

{% macro add_months(expression, months) -%}
    cast({{ dbt.dateadd('month', months, expression) }} as date)
{%- endmacro %}

{# Whole days from one date to another. #}
{% macro days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}
