{#
    Incremental staging: a staging model keeps the latest version of every key of its raw table,
    and a daily load recomputes only the keys the partition window touched.

    A staging model declares its key once, as the unique_key of its config, and selects
    `latest_staged_versions('renamed', [order column])` instead of latest_per_key. On a full build
    (or --full-refresh) that is latest_per_key over every raw row. On an incremental run it is
    latest_per_key over every raw version of the window's keys only: the keys with a raw row
    exported in the window, and the keys whose stored row came from an export day in the window
    (a day re-loaded from corrected files may have lost that record, or its latest version).

    The replace_window strategy below then writes the result: it deletes the stored rows that came
    from the window, and replaces the rows of the recomputed keys (dbt's delete+insert on the
    unique key). A key that lost all its raw rows in a re-loaded day disappears, a key whose latest
    version moved out of a re-loaded day gets its previous version back, and every other key keeps
    its row: the table equals a full refresh (tests/e2e/test_incremental_facts.py).

    Keys match by equality, as in the incremental facts: a row with a null key (which the staging
    tests reject) is recomputed only by a full refresh.
#}

{# The model's key columns: its config's unique_key, as a list (known once parsing is done). #}
{% macro staging_key_columns() -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- if not execute -%}
        {{ return(['parsing']) }}
    {%- elif not unique_key -%}
        {{ exceptions.raise_compiler_error(
            "Model " ~ model.name ~ " selects latest_staged_versions but its config has no unique_key: "
            ~ "declare the staging key as config(unique_key=[...]).") }}
    {%- endif -%}
    {{ return([unique_key] if unique_key is string else unique_key) }}
{%- endmacro %}

{#
    relation: the name of a CTE (or a relation) holding the raw rows, renamed, with the lineage
              columns (_export_date, _loaded_at, _source_file)
    order_by: list of columns that order versions, latest last (normally [updated_at])
#}
{% macro latest_staged_versions(relation, order_by) -%}
    {%- set keys = staging_key_columns() -%}
    {%- if is_incremental() %}
    select *
    from (
        with window_keys as materialized (
            select {{ keys | join(', ') }} from {{ relation }} where {{ in_partition_window('_export_date') }}
            union
            select {{ keys | join(', ') }} from {{ this }} where {{ in_partition_window('_export_date') }}
        ),

        window_versions as materialized (
            select versions.*
            from {{ relation }} as versions
            where exists (
                select 1
                from window_keys
                where {% for column in keys -%}
                    window_keys.{{ column }} = versions.{{ column }}{{ ' and ' if not loop.last }}
                {%- endfor %}
            )
        )

        select * from (
            {{ latest_per_key('window_versions', keys, order_by) }}
        ) as latest_versions
    ) as window_latest_versions
    {%- else %}
    {{ latest_per_key(relation, keys, order_by) }}
    {%- endif %}
{%- endmacro %}

{#
    The incremental strategy of the staging models (incremental_strategy='replace_window'): delete
    the stored rows whose version came from an export day in the partition window, then dbt's
    delete+insert of the recomputed keys. dbt finds a strategy's SQL as get_incremental_<name>_sql.
#}
{% macro get_incremental_replace_window_sql(arg_dict) -%}
    delete from {{ arg_dict['target_relation'] }} where {{ in_partition_window('_export_date') }};
    {{ get_incremental_delete_insert_sql(arg_dict) }}
{%- endmacro %}
