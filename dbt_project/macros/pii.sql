{#
    Personal data (e-mail addresses, phone numbers, names) stays in the restricted schemas raw and
    staging. Models from intermediate on carry a pseudonym instead of an identifier (pii_hash) and
    free text with e-mail addresses and phone numbers redacted (redact_pii). docs/warehouse.md,
    "Personal data".

    Both macros dispatch per adapter (adapter.dispatch): the default implementations are valid SQL
    for DuckDB and PostgreSQL; another engine adds `<adapter>__pii_hash` / `<adapter>__redact_pii`.
#}

{# The salt of the pseudonyms: $SALESOPS_PII_SALT (a secret: without it, a pseudonym cannot be
   recomputed from a guessed e-mail address). The default is for local development only. #}
{% macro pii_salt_literal() -%}
    {%- set salt = env_var('SALESOPS_PII_SALT', 'salesops-local-development-salt') -%}
    '{{ salt | replace("'", "''") }}'
{%- endmacro %}

{# A stable pseudonym for a personal identifier: hex SHA-256 of the salt, '|' and the trimmed,
   lower-cased value; NULL (or empty) stays NULL. The same person gets the same key in every table
   and run with the same salt, so BI can count and join on it without seeing the identifier. #}
{% macro pii_hash(column) -%}
    {{ return(adapter.dispatch('pii_hash', 'salesops')(column)) }}
{%- endmacro %}

{% macro default__pii_hash(column) -%}
    case when nullif(trim({{ column }}), '') is not null
        then sha256({{ salesops.pii_salt_literal() }} || '|' || lower(trim({{ column }}))) end
{%- endmacro %}

{% macro postgres__pii_hash(column) -%}
    case when nullif(trim({{ column }}), '') is not null
        then encode(sha256(convert_to({{ salesops.pii_salt_literal() }} || '|' || lower(trim({{ column }})), 'UTF8')), 'hex') end
{%- endmacro %}

{# Free text with every e-mail address replaced by '[email]' and every phone number by '[phone]'.
   regexp_replace_all (macros/matching.sql) is the dispatched part; the patterns use the subset of
   regular expressions that RE2 (DuckDB) and PostgreSQL read alike: no \b, no look-arounds, no
   escapes (a bracket [.] for a literal character).
   Phone numbers: '+' and 8 or more digits, spaces, dots, dashes, slashes or parentheses; groups
   like (030) 1234 5678, 555-123-4567 or 0049 30 1234567; or 9 to 15 digits in a row. ISO dates,
   amounts, times and ids shorter than 9 digits are kept. #}
{% macro redact_pii(column) -%}
    {%- set email = '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2,}' -%}
    {%- set phone = '[+][0-9][0-9 ()./-]{6,}[0-9]'
        ~ '|(00[0-9]{1,3}[ ./-]?)?[(]?[0-9]{2,5}[)]?[ ./-]?[0-9]{3,4}[ ./-][0-9]{3,5}'
        ~ '|(00[0-9]{1,3}[ ./-]?)?[0-9]{2,5}[ ./-][0-9]{6,9}'
        ~ '|[0-9]{9,15}' -%}
    {{ salesops.regexp_replace_all(salesops.regexp_replace_all(column, email, '[email]'), phone, '[phone]') }}
{%- endmacro %}
