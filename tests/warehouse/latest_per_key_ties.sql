-- Rendered by tests/warehouse/test_latest_per_key.py through `dbt show --inline`: latest_per_key
-- as the target dispatches it (duckdb__latest_per_key on DuckDB) picks, for every key, the same
-- version as the reference implementation (default__latest_per_key), on versions that tie on every
-- ordering column and differ only in other values (the fingerprint decides), including NULL keys and
-- NULL updated_at, beside a key with one version only (kept without ordering). Rows returned are
-- disagreements.
with

versions_with_ties as (
    select * from (
        values
            ('K1', cast('2024-01-02 10:00:00' as {{ dbt.type_timestamp() }}), cast('2024-01-02' as date), cast('2024-01-02 06:00:00' as {{ dbt.type_timestamp() }}), 'a.csv', 'first'),
            ('K1', cast('2024-01-02 10:00:00' as {{ dbt.type_timestamp() }}), cast('2024-01-02' as date), cast('2024-01-02 06:00:00' as {{ dbt.type_timestamp() }}), 'a.csv', 'second'),
            ('K1', cast('2024-01-01 10:00:00' as {{ dbt.type_timestamp() }}), cast('2024-01-03' as date), cast('2024-01-03 06:00:00' as {{ dbt.type_timestamp() }}), 'b.csv', 'older'),
            ('K2', cast('2024-01-02 10:00:00' as {{ dbt.type_timestamp() }}), cast('2024-01-02' as date), cast('2024-01-02 06:00:00' as {{ dbt.type_timestamp() }}), 'a.csv', 'only latest'),
            ('K2', cast('2024-01-01 10:00:00' as {{ dbt.type_timestamp() }}), cast('2024-01-02' as date), cast('2024-01-02 06:00:00' as {{ dbt.type_timestamp() }}), 'a.csv', 'earlier'),
            ('K3', null, cast('2024-01-02' as date), cast('2024-01-02 06:00:00' as {{ dbt.type_timestamp() }}), 'a.csv', 'x'),
            ('K3', null, cast('2024-01-02' as date), cast('2024-01-02 06:00:00' as {{ dbt.type_timestamp() }}), 'a.csv', 'y'),
            ('K3', null, cast('2024-01-02' as date), cast('2024-01-02 06:00:00' as {{ dbt.type_timestamp() }}), 'a.csv', 'z'),
            ('K4', cast('2024-01-01 10:00:00' as {{ dbt.type_timestamp() }}), cast('2024-01-01' as date), cast('2024-01-01 06:00:00' as {{ dbt.type_timestamp() }}), 'a.csv', 'the only version'),
            (null, cast('2024-01-02 10:00:00' as {{ dbt.type_timestamp() }}), cast('2024-01-02' as date), cast('2024-01-02 06:00:00' as {{ dbt.type_timestamp() }}), 'a.csv', 'null key 1'),
            (null, cast('2024-01-02 10:00:00' as {{ dbt.type_timestamp() }}), cast('2024-01-02' as date), cast('2024-01-02 06:00:00' as {{ dbt.type_timestamp() }}), 'a.csv', 'null key 2')
    ) as rows_given (record_key, updated_at, _export_date, _loaded_at, _source_file, record_value)
),

reference as (
    select record_key, record_value from ({{ default__latest_per_key('versions_with_ties', ['record_key'], ['updated_at']) }}) as picked
),

dispatched as (
    select record_key, record_value from ({{ latest_per_key('versions_with_ties', ['record_key'], ['updated_at']) }}) as picked
),

disagreements as (
    (select 'reference only' as side, * from reference except select 'reference only', * from dispatched)
    union all
    (select 'dispatched only' as side, * from dispatched except select 'dispatched only', * from reference)
    union all
    select 'not one row per key' as side, record_key, cast(count(*) as {{ dbt.type_string() }})
    from dispatched group by record_key having count(*) <> 1
)

select * from disagreements
