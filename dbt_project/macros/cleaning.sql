{# Light cleaning used by staging and by the incremental facts that read sources directly. #}

{# Text without surrounding blanks; empty text becomes NULL. #}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{# A code (currency, country, survey type): trimmed, upper case, NULL when empty. #}
{% macro clean_code(column) -%}
    upper(nullif(trim({{ column }}), ''))
{%- endmacro %}

{# An e-mail address: trimmed, lower case, NULL when empty. #}
{% macro clean_email(column) -%}
    lower(nullif(trim({{ column }}), ''))
{%- endmacro %}
