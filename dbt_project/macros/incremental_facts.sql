{#
    Post-hook of the incremental daily facts: after an incremental run, delete the rows whose
    version came from an export day in the partition window but whose key no longer exists in
    the raw table at all (the day was re-loaded from corrected files without that record). Keys
    that still exist elsewhere were already recomputed by the run itself. Together this keeps an
    incremental table equal to a full refresh.

    unique_key:     the fact's unique key column
    key_expression: SQL computing that key from a raw row of `source_relation` (alias `raw_row`)
    window_column:  the fact's column holding the export day its row version came from
#}
{% macro delete_vanished_keys(source_relation, unique_key, key_expression, window_column='_export_date') -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as fact
    where {{ in_partition_window('fact.' ~ window_column) }}
      and not exists (
          select 1
          from {{ source_relation }} as raw_row
          where {{ key_expression }} = fact.{{ unique_key }}
      )
    {%- else -%}
    select 1 as nothing_to_delete
    {%- endif -%}
{%- endmacro %}
