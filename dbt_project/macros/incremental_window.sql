{#
    Incremental models of the daily load: the staging models and the facts built on them. A run
    recomputes only the keys its partition window touched (macros/partition_window.sql); the result
    equals a full refresh (tests/e2e/test_incremental_facts.py).

    Staging keeps the latest version of every key of its raw table. A staging model names its key
    once and hands it to both its config and latest_staged_versions:
        {% set key = ['account_id'] %}
        {{ config(unique_key=key) }}
        ... {{ latest_staged_versions('renamed', key, ['last_modified_at']) }}
    On a full build (or --full-refresh) that is latest_per_key over every raw row. On an incremental
    run it is latest_per_key over every raw version of the window's keys only: the keys with a raw
    row exported in the window, and the keys whose stored row came from an export day in the window
    (a day re-loaded from corrected files may have lost that record, or its latest version).

    The facts take rows_of_window_keys from the staging models, and both write with the
    replace_window strategy: delete the stored rows that came from the window, then replace the rows
    of the recomputed keys (dbt's delete+insert on the unique key). A key that lost all its raw rows
    in a re-loaded day disappears, a key whose latest version moved out of a re-loaded day gets its
    previous version back, and every other key keeps its row.

    Keys match by equality: a row with a null key (which the key tests reject) is recomputed only
    by a full refresh.
#}

{#
    relation:    the name of a CTE (or a relation) holding the raw rows, renamed, with the lineage
                 columns (_export_date, _loaded_at, _source_file)
    key_columns: list of the key's columns: the model's unique_key
    order_by:    list of columns that order versions, latest last (normally [updated_at])
#}
{% macro latest_staged_versions(relation, key_columns, order_by) -%}
    {%- if is_incremental() %}
    select *
    from (
        with window_versions as materialized (
            {{ rows_of_window_keys(relation, key_columns) }}
        )

        select * from (
            {{ latest_per_key('window_versions', key_columns, order_by) }}
        ) as latest_versions
    ) as window_latest_versions
    {%- else %}
    {{ latest_per_key(relation, key_columns, order_by) }}
    {%- endif %}
{%- endmacro %}

{#
    Every row of `relation` whose key the partition window touched, on an incremental run: a row of
    `relation` with that key was exported in the window, or the model's stored row with it came from
    the window (its key may have gone back to an older version, or gone: the replace_window strategy
    deletes the stored rows of the window first). Every row on a full build. Staging takes all raw
    versions of those keys (latest_staged_versions); a fact, the staged rows it rebuilds.

    relation:       a relation, or the name of a CTE, with `key_columns` and `_export_date`
    key_columns:    the key, as the model stores it
    stored_windows: the model's columns holding the export day its row came from (a fact joining two
                    staging models keeps one per model)
    parent:         none, or (relation, key_columns) of another staging model whose rows, when
                    staged from the window, select the rows sharing their key (an order header
                    changed in the window selects all its lines)
#}
{% macro rows_of_window_keys(relation, key_columns, stored_windows=['_export_date'], parent=none) -%}
    {%- set keys = key_columns | join(', ') -%}
    select touched.*
    from {{ relation }} as touched
    {%- if is_incremental() %}
    where ({{ keys }}) in (
            select {{ keys }} from {{ relation }} where {{ in_partition_window('_export_date') }}
            union
            select {{ keys }}
            from {{ this }}
            where {% for column in stored_windows -%}
                {{ in_partition_window(column) }}{{ ' or ' if not loop.last }}
            {%- endfor %}
        )
        {%- if parent %}
        or ({{ parent[1] | join(', ') }}) in (
            select {{ parent[1] | join(', ') }} from {{ parent[0] }} where {{ in_partition_window('_export_date') }}
        )
        {%- endif %}
    {%- endif %}
{%- endmacro %}

{#
    The incremental strategy of the daily load's models (incremental_strategy='replace_window'): delete
    the stored rows whose version came from an export day in the partition window, then dbt's
    delete+insert of the recomputed keys. dbt finds a strategy's SQL as get_incremental_<name>_sql.
#}
{% macro get_incremental_replace_window_sql(arg_dict) -%}
    delete from {{ arg_dict['target_relation'] }} where {{ in_partition_window('_export_date') }};
    {{ get_incremental_delete_insert_sql(arg_dict) }}
{%- endmacro %}
