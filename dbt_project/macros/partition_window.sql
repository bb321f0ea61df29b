{#
    The partition window of the incremental daily facts: the environment variables
    SALESOPS_PARTITION_MIN_DATE and SALESOPS_PARTITION_MAX_DATE, inclusive export days as
    YYYY-MM-DD. Dagster's daily_load sets both for its dbt invocation. Without them an incremental
    run reprocesses every export day (same result as a full refresh, only slower).

    Environment variables, not --vars: dbt keeps its partial parse only while the vars stay the
    same, so a new window per run would make every daily load parse the whole project again. These
    are read only while a model runs (inside is_incremental()), never while the project is parsed,
    so changing them re-parses nothing.
#}
{% macro partition_window_bound(variable, default) -%}
    {%- set value = env_var(variable, default) | string | trim -%}
    {%- if not modules.re.match('^\d{4}-\d{2}-\d{2}$', value) -%}
        {{ exceptions.raise_compiler_error(
            "environment variable " ~ variable ~ " must be an export day as YYYY-MM-DD (e.g. "
            ~ "SALESOPS_PARTITION_MIN_DATE=2024-03-01 SALESOPS_PARTITION_MAX_DATE=2024-03-07), got '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{% macro partition_window() -%}
    {%- if var('min_date', none) is not none or var('max_date', none) is not none -%}
        {{ exceptions.raise_compiler_error(
            "The partition window is no longer passed as --vars min_date / max_date: set the environment "
            ~ "variables SALESOPS_PARTITION_MIN_DATE and SALESOPS_PARTITION_MAX_DATE instead (docs/warehouse.md).") }}
    {%- endif -%}
    {%- set min_date = partition_window_bound('SALESOPS_PARTITION_MIN_DATE', '1900-01-01') -%}
    {%- set max_date = partition_window_bound('SALESOPS_PARTITION_MAX_DATE', '9999-12-31') -%}
    {%- if min_date > max_date -%}
        {{ exceptions.raise_compiler_error(
            "The partition window is empty: SALESOPS_PARTITION_MIN_DATE " ~ min_date
            ~ " is after SALESOPS_PARTITION_MAX_DATE " ~ max_date ~ ".") }}
    {%- endif -%}
    {{ return([min_date, max_date]) }}
{%- endmacro %}

{# SQL condition: `column` (an export date) lies in the partition window. #}
{% macro in_partition_window(column='_export_date') -%}
    {%- set window = partition_window() -%}
    {{ column }} between cast('{{ window[0] }}' as date) and cast('{{ window[1] }}' as date)
{%- endmacro %}
