"""Read export files with DuckDB's native readers into a temporary all-text staging table.

Each reader creates ``_stage`` with ``_source_file``, ``_record`` (the record's number inside its
file, from 1), ``_line`` (the physical line where known, else NULL), ``_raw`` (the record as
text, kept for rejects) and one ``raw__<column>`` varchar column per spec column.
"""

from __future__ import annotations

import duckdb

from orchestration.ingest.specs import SourceSpec
from orchestration.ingest.sql import quote_identifier, quote_literal, stage_column


def stage_files(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, paths: list[str], headers: set[str]) -> None:
    """Create ``_stage`` from ``paths`` with the reader the spec's format calls for."""
    conn.execute("drop table if exists _stage")
    if spec.format.type == "csv":
        _stage_csv(conn, spec, paths, headers)
    elif spec.format.type == "jsonl":
        _stage_jsonl(conn, spec, paths)
    else:
        _stage_parquet(conn, spec, paths, headers)


def _stage_csv(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, paths: list[str], headers: set[str]) -> None:
    fmt = spec.format
    columns = [
        f"{quote_identifier(c.source) if c.source in headers else 'null'}::varchar as {stage_column(c)}"
        for c in spec.columns
    ]
    present = [quote_identifier(name) for name in sorted(headers)]
    raw_record = "to_json(struct_pack(" + ", ".join(f"{p} := {p}" for p in present) + "))::varchar" if present else "null"
    conn.execute(
        f"""
        create temp table _stage as
        select
            filename as _source_file,
            ordinality - min(ordinality) over (partition by filename) + 1 as _record,
            null::bigint as _line,
            {raw_record} as _raw,
            null::varchar as _parse_error,
            {", ".join(columns)}
        from read_csv(
            ?, header = {str(fmt.header).lower()}, delim = {quote_literal(fmt.delimiter)},
            quote = {quote_literal(fmt.quote)}, escape = {quote_literal(fmt.escape)},
            encoding = {quote_literal(fmt.encoding)}, all_varchar = true, union_by_name = true,
            filename = true, strict_mode = true, null_padding = false
        ) with ordinality
        """,
        [paths],
    )


def _stage_jsonl(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, paths: list[str]) -> None:
    def field(source: str) -> str:
        path = quote_literal('$."' + source.replace('"', '\\"') + '"')
        return f"case when json_valid(_text) then json_extract_string(_text, {path}) end"

    columns = [f"{field(c.source)} as {stage_column(c)}" for c in spec.columns]
    conn.execute(
        f"""
        create temp table _stage as
        with lines as (
            select t.filename as _source_file, u.line_number as _line, rtrim(u.line, chr(13)) as _text
            from read_text(?) as t,
                unnest(string_split(t.content, chr(10))) with ordinality as u(line, line_number)
        )
        select
            _source_file,
            row_number() over (partition by _source_file order by _line) as _record,
            _line,
            _text as _raw,
            case when not json_valid(_text) then 'the line is not valid JSON'
                 when json_type(_text) <> 'OBJECT' then 'the line is JSON but not an object' end as _parse_error,
            {", ".join(columns)}
        from lines
        where trim(_text) <> ''
        """,
        [paths],
    )


def _stage_parquet(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, paths: list[str], headers: set[str]) -> None:
    columns = [
        f"{quote_identifier(c.source) if c.source in headers else 'null'}::varchar as {stage_column(c)}"
        for c in spec.columns
    ]
    conn.execute(
        f"""
        create temp table _stage as
        select
            filename as _source_file,
            ordinality - min(ordinality) over (partition by filename) + 1 as _record,
            null::bigint as _line,
            null::varchar as _raw,
            null::varchar as _parse_error,
            {", ".join(columns)}
        from read_parquet(?, union_by_name = true, filename = true) with ordinality
        """,
        [paths],
    )


def parquet_columns(conn: duckdb.DuckDBPyConnection, path: str) -> list[str]:
    """Column names of one Parquet file."""
    return [row[0] for row in conn.execute("select name from parquet_schema(?) where name <> 'schema'", [path]).fetchall()]
