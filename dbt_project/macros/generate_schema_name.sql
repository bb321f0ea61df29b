{#
    Models land in the schema their folder configures (staging, intermediate, marts), as is:
    not dbt's default <target_schema>_<custom_schema>. Models without a custom schema use the
    target's schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
