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
    DuckDB: the same choice, with the fingerprint computed only for the versions that tie for the
    latest on every other column (about one row per key), not for every version of every key: the
    fingerprint (the whole row cast to text, hashed) was the largest part of staging's cost at 1M
    order lines. `exclude` drops the rank again, so a candidate's fingerprint is its raw row's.
#}
{% macro duckdb__latest_per_key(relation, key_columns, order_by) -%}
    select *
    from (
        select
            candidates.*,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by {{ row_fingerprint('candidates') }} desc
            ) as _version_rank
        from (
            select * exclude (_order_rank)
            from (
                select
                    versions.*,
                    rank() over (
                        partition by {{ key_columns | join(', ') }}
                        order by {{ version_ordering(order_by) | join(', ') }}
                    ) as _order_rank
                from {{ relation }} as versions
            ) as ordered_versions
            where _order_rank = 1
        ) as candidates
    ) as ranked_versions
    where _version_rank = 1
{%- endmacro %}

{# A text fingerprint of a whole row, given the row's table alias (dialect-specific). #}
{% macro row_fingerprint(alias) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'salesops')(alias)) }}
{%- endmacro %}

{# DuckDB casts a table alias (a struct) to text; Postgres casts a row the same way. #}
{% macro default__row_fingerprint(alias) -%}
    md5(cast({{ alias }} as {{ dbt.type_string() }}))
{%- endmacro %}
