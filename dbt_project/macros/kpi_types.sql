{# Column types of the KPI marts (their contracts name the same types). #}

{# Rates, ratios and averages. #}
{% macro kpi_rate_type() -%}
    double precision
{%- endmacro %}

{# Money amounts. #}
{% macro kpi_amount_type() -%}
    decimal(18, 2)
{%- endmacro %}
