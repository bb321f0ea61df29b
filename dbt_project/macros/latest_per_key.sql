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
    {%- set ordering = [] -%}
    {%- for column in order_by -%}
        {%- do ordering.append(column ~ ' desc nulls last') -%}
    {%- endfor -%}
    {%- do ordering.extend(['_export_date desc', '_loaded_at desc', '_source_file desc', row_fingerprint('versions') ~ ' desc']) -%}
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

{# A text fingerprint of a whole row, given the row's table alias (dialect-specific). #}
{% macro row_fingerprint(alias) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'salesops')(alias)) }}
{%- endmacro %}

{# DuckDB casts a table alias (a struct) to text; Postgres casts a row the same way. #}
{% macro default__row_fingerprint(alias) -%}
    md5(cast({{ alias }} as {{ dbt.type_string() }}))
{%- endmacro %}
