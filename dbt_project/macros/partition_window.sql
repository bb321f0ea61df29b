{#
    The partition window of the incremental daily facts: vars min_date and max_date, inclusive
    export days as YYYY-MM-DD. Dagster's daily_load passes both. Without them an incremental
    run reprocesses every export day (same result as a full refresh, only slower).
#}
{% macro partition_window_bound(name, default) -%}
    {%- set value = var(name, default) | string | trim -%}
    {%- if not modules.re.match('^\d{4}-\d{2}-\d{2}$', value) -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' must be an export day as YYYY-MM-DD (e.g. --vars '{\"min_date\": \"2024-03-01\", "
            ~ "\"max_date\": \"2024-03-07\"}'), got '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{% macro partition_window() -%}
    {%- set min_date = partition_window_bound('min_date', '1900-01-01') -%}
    {%- set max_date = partition_window_bound('max_date', '9999-12-31') -%}
    {%- if min_date > max_date -%}
        {{ exceptions.raise_compiler_error(
            "The partition window is empty: min_date " ~ min_date ~ " is after max_date " ~ max_date ~ ".") }}
    {%- endif -%}
    {{ return([min_date, max_date]) }}
{%- endmacro %}

{# SQL condition: `column` (an export date) lies in the partition window. #}
{% macro in_partition_window(column='_export_date') -%}
    {%- set window = partition_window() -%}
    {{ column }} between cast('{{ window[0] }}' as date) and cast('{{ window[1] }}' as date)
{%- endmacro %}
