{#
    Normalisation used to match CRM accounts to ERP customers (int_account_matches__candidates).
    The dialect-specific pieces (regular expressions, accent folding) are dispatched macros.
#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'salesops')(expression, pattern, replacement)) }}
{%- endmacro %}

{# DuckDB (RE2) and Postgres both take the 'g' flag. Patterns avoid look-arounds (RE2 has none). #}
{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern | replace("'", "''") }}', '{{ replacement | replace("'", "''") }}', 'g')
{%- endmacro %}

{% macro strip_accents(expression) -%}
    {{ return(adapter.dispatch('strip_accents', 'salesops')(expression)) }}
{%- endmacro %}

{# Postgres needs the unaccent extension for this; without it accents are kept (and dropped as punctuation later). #}
{% macro default__strip_accents(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro duckdb__strip_accents(expression) -%}
    strip_accents({{ expression }})
{%- endmacro %}

{#
    Postgres without extensions: the letters DuckDB's strip_accents folds (those Unicode decomposes
    into a base letter and combining marks) mapped to their base letter with translate(); letters
    of their own (ß, ø, ł, æ) stay, as in DuckDB.
#}
{% macro postgres__strip_accents(expression) -%}
    translate({{ expression }},
        'ÀÁÂÃÄÅàáâãäåÇçĆćČčÈÉÊËèéêëĚěĘęÌÍÎÏìíîïÑñŃńŇňÒÓÔÕÖòóôõöŐőÙÚÛÜùúûüŮůŰűÝýÿŸŠšŚśŽžŹźŻżŘřĎďŤťĄą',
        'AAAAAAaaaaaaCcCcCcEEEEeeeeEeEeIIIIiiiiNnNnNnOOOOOoooooOoUUUUuuuuUuUuYyyYSsSsZzZzZzRrDdTtAa')
{%- endmacro %}

{# Tax id: upper case, only letters and digits ('de 123.456-789' → 'DE123456789'); NULL when empty. #}
{% macro normalize_tax_id(expression) -%}
    nullif({{ regexp_replace_all('upper(' ~ expression ~ ')', '[^A-Z0-9]', '') }}, '')
{%- endmacro %}

{#
    Web domain: lower case without protocol, credentials or mailbox, 'www.', port, path, query or
    fragment ('https://www.Acme.com/about?x=1' → 'acme.com'); NULL when empty.
#}
{% macro normalize_domain(expression) -%}
    {%- set lowered = 'lower(trim(' ~ expression ~ '))' -%}
    {%- set no_protocol = regexp_replace_all(lowered, '^[a-z][a-z0-9+.-]*://', '') -%}
    {%- set no_user = regexp_replace_all(no_protocol, '^[^/@]*@', '') -%}
    {%- set host = regexp_replace_all(no_user, '[:/?#].*$', '') -%}
    nullif({{ regexp_replace_all(host, '^www[0-9]*[.]', '') }}, '')
{%- endmacro %}

{#
    Company name: accents folded, lower case, dots and apostrophes dropped (so 'B.V.' → 'bv',
    "O'Neil" → 'oneil'), every other run of characters except letters and digits → one space,
    legal-form words at the end removed (inc, llc, ltd, limited, gmbh, ag, sa, co, corp, plc, bv,
    kk, pty, sarl, ...; repeatedly, so 'GmbH & Co. KG' and 'Pty Ltd' go whole), trimmed
    ('ACME Widgets, Inc.' → 'acme widgets'); NULL when nothing is left.
#}
{% macro normalize_company_name(expression) -%}
    {%- set legal_forms = [
        'inc', 'incorporated', 'llc', 'ltd', 'limited', 'plc', 'corp', 'corporation', 'co', 'company', 'lp', 'llp',
        'gmbh', 'mbh', 'ag', 'kg', 'kgaa', 'ug', 'se', 'sa', 'sas', 'sarl', 'srl', 'spa', 'sl', 'slu', 'sro',
        'bv', 'nv', 'vof', 'ab', 'as', 'asa', 'aps', 'oy', 'oyj', 'kk', 'gk', 'pty', 'pte', 'bhd', 'sdn', 'ltda', 'lda'
    ] -%}
    {%- set lowered = 'lower(' ~ strip_accents(expression) ~ ')' -%}
    {%- set undotted = regexp_replace_all(lowered, "[.'’]", '') -%}
    {%- set words = regexp_replace_all(undotted, '[^a-z0-9]+', ' ') -%}
    nullif(trim({{ regexp_replace_all(words, '( (' ~ legal_forms | join('|') ~ '))+ *$', '') }}), '')
{%- endmacro %}

{#
    Postal address: country, postal code and street, each normalised, joined by '|'; NULL unless all
    three are present. Street: accents folded, lower case, dots dropped, other punctuation → space,
    the common suffixes written one way ('Main Street' / 'MAIN ST.' → 'main st', 'Harbour Road' →
    'harbour rd', 'Park Avenue' → 'park ave', 'Bahnhofstraße' / 'Bahnhofstr.' → 'bahnhofstr').
#}
{% macro address_key(country, postal_code, street) -%}
    {%- set lowered = 'lower(' ~ strip_accents(street) ~ ')' -%}
    {%- set undotted = regexp_replace_all(lowered, "[.'’]", '') -%}
    {%- set words = 'trim(' ~ regexp_replace_all(undotted, '[^a-z0-9ß]+', ' ') ~ ')' -%}
    {%- set street_word = regexp_replace_all(words, ' street$', ' st') -%}
    {%- set road_word = regexp_replace_all(street_word, ' road$', ' rd') -%}
    {%- set avenue_word = regexp_replace_all(road_word, ' avenue$', ' ave') -%}
    {%- set strasse_word = regexp_replace_all(avenue_word, '(strasse|straße)$', 'str') -%}
    case
        when nullif(trim({{ country }}), '') is not null
            and nullif(trim({{ postal_code }}), '') is not null
            and nullif({{ words }}, '') is not null
        then upper(trim({{ country }})) || '|' || {{ regexp_replace_all('upper(' ~ postal_code ~ ')', '[^A-Z0-9]', '') }}
            || '|' || {{ strasse_word }}
    end
{%- endmacro %}
