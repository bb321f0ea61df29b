{# Column types of the KPI marts (their contracts name the same types). #}

{# Rates, ratios and averages. #}
{% macro kpi_rate_type() -%}
    double precision
{%- endmacro %}

{# Money amounts. #}
{% macro kpi_amount_type() -%}
    decimal(18, 2)
{%- endmacro %}

{# A row's share of a sum that must not depend on the order the engine adds rows in (weighted amounts
   and units). A sum of doubles does: a parallel engine adds in a varying order, and a total that
   lands on half a cent can round either way from one build to the next. Cast each row to this
   before summing, and the sum is exact. #}
{% macro exact_measure_type() -%}
    decimal(38, 10)
{%- endmacro %}
