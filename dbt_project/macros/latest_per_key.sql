{#
    The latest version of every key of an append-only delta export.

    Raw tables keep every version a record had on every export day. The latest is the one with
    the highest `order_by` value(s) (the spec's updated_at column), ties broken by the later
    _export_date, then the later _loaded_at, then _source_file, and at last by a fingerprint of the
    whole row: two different versions of one key with the same updated_at in the same file are
    indistinguishable otherwise (raw tables keep no record number), and every run must pick the
    same one so an incremental build equals a full refresh.

    relation:    a relation, or the name of a CTE, holding raw rows (with the lineage columns)
    key_columns: list of the primary key's columns
    order_by:    list of columns that order versions, latest last (normally [updated_at])

    Returns a select of every column of `relation` plus `_version_rank` (always 1), one row per key.
    Callers list the columns they keep.
#}
{% macro latest_per_key(relation, key_columns, order_by) -%}
    {{ return(adapter.dispatch('latest_per_key', 'salesops')(relation, key_columns, order_by)) }}
{%- endmacro %}

{# The ordering of versions, latest first, without the fingerprint that breaks the last ties. #}
{% macro version_ordering(order_by) -%}
    {%- set ordering = [] -%}
    {%- for column in order_by -%}
        {%- do ordering.append(column ~ ' desc nulls last') -%}
    {%- endfor -%}
    {%- do ordering.extend(['_export_date desc', '_loaded_at desc', '_source_file desc']) -%}
    {{ return(ordering) }}
{%- endmacro %}

{% macro default__latest_per_key(relation, key_columns, order_by) -%}
    {%- set ordering = version_ordering(order_by) + [row_fingerprint('versions') ~ ' desc'] -%}
    select *
    from (
        select
            versions.*,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by {{ ordering | join(', ') }}
            ) as _version_rank
        from {{ relation }} as versions
    ) as ranked_versions
    where _version_rank = 1
{%- endmacro %}

{#
    DuckDB: the same choice, in three parts. A key with one version (nearly every key: at 10M order
    lines 90,000 of 18M stage changes share a key) keeps it without any ordering: ordering every
    version of every key (a window over all rows) spilled beyond dbt's memory bound and took nearly
    twice as long (stg_crm__opportunity_history 29.7 s -> 16.1 s at 2 GB, docs/benchmarks.md). The
    versions of the repeated keys are ordered once, which also says whether the first version ties
    with the second on every ordering column; the fingerprint (the whole row cast to text, hashed)
    then decides among the tied keys' versions only (none in the demo data): computing it for every
    version took a third of the time of a staging model at 1M order lines.
#}
{% macro duckdb__latest_per_key(relation, key_columns, order_by) -%}
    {%- set ordering_columns = order_by + ['_export_date', '_loaded_at', '_source_file'] -%}
    with repeated_keys as (
        select {{ key_columns | join(', ') }}
        from {{ relation }}
        group by {{ key_columns | join(', ') }}
        having count(*) > 1
    ),

    positioned_versions as (
        select
            versions.*,
            row_number() over latest_first as _position,
            lead(true, 1, false) over latest_first
            {%- for column in ordering_columns %}
                and lead({{ column }}) over latest_first is not distinct from {{ column }}
            {%- endfor %} as _ties_with_next
        from {{ relation }} as versions
        semi join repeated_keys on {{ same_key('repeated_keys', 'versions', key_columns) }}
        window latest_first as (
            partition by {{ key_columns | join(', ') }}
            order by {{ version_ordering(order_by) | join(', ') }}
        )
    ),

    tied_keys as (
        select {{ key_columns | join(', ') }}
        from positioned_versions
        where _position = 1 and _ties_with_next
    ),

    tied_versions as (
        select versions.*
        from {{ relation }} as versions
        semi join tied_keys on {{ same_key('tied_keys', 'versions', key_columns) }}
    )

    select versions.*, cast(1 as bigint) as _version_rank
    from {{ relation }} as versions
    anti join repeated_keys on {{ same_key('repeated_keys', 'versions', key_columns) }}
    union all
    select * exclude (_position, _ties_with_next), cast(1 as bigint) as _version_rank
    from positioned_versions
    where _position = 1 and not _ties_with_next
    union all
    {{ default__latest_per_key('tied_versions', key_columns, order_by) }}
{%- endmacro %}

{# Join condition: the key columns of two aliases are equal, a null key equal to a null key (as a
   window's partition treats them). #}
{% macro same_key(left, right, key_columns) -%}
    {%- for column in key_columns -%}
        {{ left }}.{{ column }} is not distinct from {{ right }}.{{ column }}{{ ' and ' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{# A text fingerprint of a whole row, given the row's table alias (dialect-specific). #}
{% macro row_fingerprint(alias) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'salesops')(alias)) }}
{%- endmacro %}

{# DuckDB casts a table alias (a struct) to text; Postgres casts a row the same way. #}
{% macro default__row_fingerprint(alias) -%}
    md5(cast({{ alias }} as {{ dbt.type_string() }}))
{%- endmacro %}
