"""Read export files with DuckDB's native readers into the temporary all-text table ``_stage``.

``_stage`` has one row per record: ``_file_id`` (the file, see ``_files``), ``_record`` (the
record's position among the records the reader parsed in its file, from 1, once
:func:`number_records_by_file` has run), ``_line`` (the
physical line where the reader knows it), ``_reader_row`` (for CSV records the reader could not
parse: the row number it reports), ``_raw`` (the record as text where cheap), ``_parse_error``
and one varchar column per spec column (``raw__<name>``) and per added extra column
(``extra__<name>``). Files are read in one statement per group of files with the same layout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.ingest.files import CsvDialect
from orchestration.ingest.specs import SourceSpec
from orchestration.ingest.sql import quote_identifier, quote_literal

CSV_ERRORS, CSV_SCANS = "_csv_errors", "_csv_scans"

# What a reader raises for a file it cannot read (as opposed to a mistake in a statement).
READ_ERRORS = (
    duckdb.InvalidInputException,
    duckdb.IOException,
    duckdb.ConversionException,
    duckdb.OutOfRangeException,
    duckdb.SerializationException,
)


@dataclass
class StagedFile:
    """One file as the reader will see it, with where each spec column comes from in it."""

    file_id: int
    path: Path  # the file DuckDB reads: a link to the landed file, or a transcoded/converted copy
    kind: str  # csv | jsonl | json | parquet
    dialect: CsvDialect | None = None
    header: tuple[str, ...] = ()
    mapping: dict[str, str] = field(default_factory=dict)  # spec column -> reader column (csv: c<i>; parquet: name; json: path)
    extras: dict[str, str] = field(default_factory=dict)  # added warehouse column -> reader column
    records_path: str = "$"

    def layout(self) -> tuple:
        """Files with the same layout are read in one statement."""
        return (self.kind, self.dialect, self.header, tuple(sorted(self.mapping.items())), tuple(sorted(self.extras.items())), self.records_path)


def stage_columns(spec: SourceSpec, extras: list[str]) -> list[str]:
    return [f"raw__{c.name}" for c in spec.columns] + [f"extra__{name}" for name in extras]


def create_stage(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, extras: list[str]) -> None:
    columns = ", ".join(f"{quote_identifier(name)} varchar" for name in stage_columns(spec, extras))
    conn.execute(
        "create or replace temp table _stage (_file_id integer, _record bigint, _line bigint, _reader_row bigint, "
        f"_raw varchar, _parse_error varchar, {columns})"
    )


def stage_group(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[StagedFile], extras: list[str]) -> None:
    """Append the records of files sharing one layout to ``_stage``; raises duckdb.Error when the reader fails."""
    first = files[0]
    if first.kind == "csv":
        _stage_csv(conn, spec, files, extras)
    elif first.kind == "parquet":
        _stage_parquet(conn, spec, files, extras)
    else:
        _stage_json(conn, spec, files, extras)


def _targets(spec: SourceSpec, extras: list[str]) -> str:
    return ", ".join(quote_identifier(name) for name in stage_columns(spec, extras))


def _sources(spec: SourceSpec, extras: list[str], staged: StagedFile, expression) -> str:
    values = [expression(staged.mapping[c.name]) if c.name in staged.mapping else "null" for c in spec.columns]
    values += [expression(staged.extras[name]) if name in staged.extras else "null" for name in extras]
    return ", ".join(values)


def _stage_csv(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[StagedFile], extras: list[str]) -> None:
    staged, dialect = files[0], files[0].dialect
    width = max(len(staged.header), 1)
    # One column more than the header: DuckDB silently drops a trailing empty extra field, so field
    # counts are checked here. Missing fields are padded with NULL, and empty fields read as ''
    # (nullstr is a byte no export holds), so a short record has a NULL and a long one a non-NULL sentinel.
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width + 1)) + "}"
    names = "[" + ", ".join(quote_literal(h or f"(unnamed column {i + 1})") for i, h in enumerate(staged.header)) + "]"
    delimiter, quote = dialect.delimiter.replace("\t", "\\t"), dialect.quote
    basis = "header" if dialect.header else "first record"
    present = f"len(list_filter([{', '.join(f'r.c{i}' for i in range(width))}], lambda v: v is not null))"
    field_count = f"""
        case
            when r.c{width} is not null then
                {quote_literal(f'record: expected {width} fields as in the {basis}, found {width + 1}; a value may contain an unquoted {delimiter!r}')}
            when r.c{width - 1} is null then
                {quote_literal(f'record: expected {width} fields as in the {basis}, found ')} || {present}
                || '; field ' || ({present} + 1) || ' (' || coalesce({names}[({present} + 1)::integer], '?') || ') and after are missing'
                || {quote_literal(f' (the line may be cut short, or the delimiter is not {delimiter!r})')}
        end"""
    for table in (CSV_ERRORS, CSV_SCANS):
        conn.execute(f"drop table if exists {table}")
    conn.execute(
        f"""
        insert into _stage (_file_id, _record, _parse_error, {_targets(spec, extras)})
        select f._file_id, r.ordinality, {field_count},
            {_sources(spec, extras, staged, lambda column: f"r.{column}")}
        from read_csv(
            ?, auto_detect = false, header = {str(dialect.header).lower()}, columns = {columns},
            delim = {quote_literal(dialect.delimiter)}, quote = {quote_literal(dialect.quote)},
            escape = {quote_literal(dialect.escape)}, encoding = {quote_literal(dialect.duckdb_encoding)},
            strict_mode = true, null_padding = true, nullstr = {quote_literal(chr(1))}, parallel = false,
            max_line_size = {dialect.max_line_size},
            store_rejects = true, rejects_table = '{CSV_ERRORS}', rejects_scan = '{CSV_SCANS}', filename = true
        ) with ordinality as r
        join _files f on f._staged = r.filename
        """,
        [[str(f.path) for f in files]],
    )
    if not conn.execute(f"select count(*) from {CSV_ERRORS}").fetchone()[0]:
        return
    conn.execute(
        f"""
        insert into _stage (_file_id, _reader_row, _raw, _parse_error)
        select _file_id, line, csv_line,
            case
                when list_contains(types, 'LINE SIZE OVER MAXIMUM') then
                    {quote_literal(f'record: longer than format.max_line_size ({dialect.max_line_size} bytes); raise it in the spec if such records are expected')}
                when list_contains(types, 'INVALID ENCODING') or list_contains(types, 'INVALID UNICODE') then
                    {quote_literal(f'record: not valid {dialect.duckdb_encoding} text; set format.encoding in the spec to the encoding the file is written in (e.g. latin-1 or cp1252)')}
                when list_contains(types, 'UNQUOTED VALUE') then
                    'record: field ' || (first_column + 1) || ' (' || coalesce({names}[(first_column + 1)::integer], '?') || ')'
                    || {quote_literal(f': expected a quoted value to end with {quote} before the next {delimiter!r} or line end; the file may be cut short')}
                when list_contains(types, 'TOO MANY COLUMNS') then
                    {quote_literal(f'record: expected {width} fields as in the {basis}, found ')} || most_found
                    || {quote_literal(f'; a value may contain an unquoted {delimiter!r}')}
                when list_contains(types, 'MISSING COLUMNS') then
                    {quote_literal(f'record: expected {width} fields as in the {basis}, found ')} || least_found
                    || '; field ' || (least_found + 1) || ' (' || coalesce({names}[(least_found + 1)::integer], '?') || ') and after are missing'
                    || {quote_literal(f' (the line may be cut short, or the delimiter is not {delimiter!r})')}
                else 'record: ' || message
            end
        from (
            select f._file_id, e.line, any_value(e.csv_line) as csv_line, list(distinct e.error_type::varchar) as types,
                min(try_cast(regexp_extract(e.column_name, '^c([0-9]+)$', 1) as integer)) as first_column, any_value(e.error_message) as message,
                max(try_cast(regexp_extract(e.error_message, 'Found: ([0-9]+)', 1) as integer)) as most_found,
                min(try_cast(regexp_extract(e.error_message, 'Found: ([0-9]+)', 1) as integer)) as least_found
            from {CSV_ERRORS} e
            join {CSV_SCANS} s on s.scan_id = e.scan_id and s.file_id = e.file_id
            join _files f on f._staged = s.file_path
            group by all
        )
        """
    )


def _stage_parquet(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[StagedFile], extras: list[str]) -> None:
    staged = files[0]
    conn.execute(
        f"""
        insert into _stage (_file_id, _record, {_targets(spec, extras)})
        select f._file_id, r.ordinality,
            {_sources(spec, extras, staged, lambda column: f"r.{quote_identifier(column)}::varchar")}
        from read_parquet(?, union_by_name = true, filename = true) with ordinality as r
        join _files f on f._staged = r.filename
        """,
        [[str(f.path) for f in files]],
    )


def json_path(source: str) -> str:
    """The JSON path of a spec source: a path as written when it starts with '$', else a top-level key."""
    if source.startswith("$"):
        return source
    return '$."' + source.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _stage_json(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[StagedFile], extras: list[str]) -> None:
    staged = files[0]

    def field(paths: str) -> str:  # a JSON list of paths: the column's source and aliases, first found wins
        values = [f"json_extract_string(_text, {quote_literal(path)})" for path in json.loads(paths)]
        value = values[0] if len(values) == 1 else f"coalesce({', '.join(values)})"
        return f"case when _object then {value} end"

    unit = "line" if staged.kind == "jsonl" else "record"
    if staged.kind == "jsonl":
        # unnest in the select list: a lateral unnest would carry the whole file text along with every
        # line (quadratic: a 3 MB file of 13,000 lines took minutes and gigabytes)
        records = """
            select filename, _line, _line as _position,
                case when _line = 1 then ltrim(rtrim(line, chr(13)), chr(65279)) else rtrim(line, chr(13)) end as _text
            from (
                select filename, unnest(lines) as line, generate_subscripts(lines, 1) as _line
                from (select filename, string_split(content, chr(10)) as lines from read_text(?))
            )
        """
    else:
        items = quote_literal(staged.records_path + "[*]")
        records = f"""
            select filename, null::bigint as _line, _position, item::varchar as _text
            from (
                select filename, unnest(records) as item, generate_subscripts(records, 1) as _position
                from (select filename, json_extract(content, {items}) as records from read_text(?))
            )
        """
    conn.execute(
        f"""
        insert into _stage (_file_id, _record, _line, _raw, _parse_error, {_targets(spec, extras)})
        with records as ({records}),
        parsed as (
            select *, case when json_valid(_text) then json_type(_text) = 'OBJECT' else false end as _object
            from records where trim(_text) <> ''
        )
        select f._file_id, row_number() over (partition by r.filename order by r._position), r._line, r._text,
            case when not json_valid(r._text) then 'the {unit} is not valid JSON'
                 when not r._object then 'the {unit} is JSON but not an object (' || lower(json_type(r._text)) || ')' end,
            {_sources(spec, extras, staged, field)}
        from parsed r
        join _files f on f._staged = r.filename
        """,
        [[str(f.path) for f in files]],
    )


def number_records_by_file(conn: duckdb.DuckDBPyConnection) -> None:
    """Turn ``_record`` from the reading statement's row number into the record's position in its file.

    A CSV or Parquet statement numbers its rows across all its files, which it reads one after the
    other (``parallel = false``), so a file's records are numbered consecutively: subtracting the
    file's first number is enough. A window partitioned by file did the same, at the cost of
    sorting every record (twice the reading time, and all of it in memory); this updates only the
    records of files after the first of their statement.
    """
    conn.execute(
        """
        update _stage set _record = _stage._record - o.offset
        from (select _file_id, min(_record) - 1 as offset from _stage where _record is not null group by all) o
        where _stage._file_id = o._file_id and o.offset > 0 and _stage._record is not null
        """
    )


def parquet_columns(conn: duckdb.DuckDBPyConnection, path: str) -> list[str]:
    """Top-level column names of one Parquet file."""
    return [row[0] for row in conn.execute("select column_name from (describe select * from read_parquet(?))", [path]).fetchall()]


def json_document_check(conn: duckdb.DuckDBPyConnection, path: str, records_path: str) -> str | None:
    """Why a JSON document cannot give records at ``records_path``, or None when it can."""
    valid, kind = conn.execute(
        "select json_valid(content), case when json_valid(content) then json_type(json_extract(content, ?)) end from read_text(?)",
        [records_path, path],
    ).fetchone()
    if not valid:
        return "not a valid JSON document (it may be cut short or still being written)"
    if kind != "ARRAY":
        found = "nothing" if kind is None else f"a JSON {kind.lower()}"
        return f"format.records_path {records_path} must point to a list of records, found {found}"
    return None


def json_keys_by_file(conn: duckdb.DuckDBPyConnection) -> dict[int, list[str]]:
    """Top-level keys seen in each staged JSON file's records."""
    rows = conn.execute(
        """
        select _file_id, list(distinct k order by k) from (
            select _file_id, unnest(json_keys(_raw)) as k from _stage
            where _parse_error is null and _raw is not null
        ) group by _file_id
        """
    ).fetchall()
    return {file_id: keys for file_id, keys in rows}
