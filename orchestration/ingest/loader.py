"""Load the export files of a range of export days into ``raw.<source>__<object>``.

Re-loading a range replaces exactly the rows of those export days, in one transaction, so
loading the same files twice never duplicates a row and a failed load leaves the table as it
was. Every file is accounted for in ``raw._load_manifest`` (rows read = loaded + rejected);
rows that break the spec go to ``raw._rejected_rows`` with the file, line, column and reason;
files that cannot be read at all are moved to the quarantine folder beside a reason file.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.ingest.bookkeeping import MANIFEST_TABLE, RAW_SCHEMA, REJECTS_TABLE, ensure_bookkeeping
from orchestration.ingest.files import (
    ExportFile,
    count_data_lines,
    csv_record_lines,
    discover_export_files,
    read_csv_header,
    sha256_of,
)
from orchestration.ingest.readers import parquet_columns, stage_files
from orchestration.ingest.specs import SourceSpec
from orchestration.ingest.sql import error_expression, quote_identifier, raw_table_ddl, typed_expression


@dataclass
class FileLoad:
    """What happened to one export file."""

    export_date: date
    source_file: str
    sha256: str
    size_bytes: int
    status: str = "loaded"
    reason: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0


@dataclass
class LoadResult:
    """The outcome of one call of :func:`load_export_days`."""

    load_id: str
    table: str
    start: date
    end: date
    files: list[FileLoad] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def rejected_files(self) -> list[FileLoad]:
        return [f for f in self.files if f.status == "rejected_file"]


def load_export_days(
    conn: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    landing: Path,
    start: date,
    end: date,
    quarantine: Path | None = None,
) -> LoadResult:
    """Replace the rows of export days [start, end] in the spec's raw table with what the files hold."""
    ensure_bookkeeping(conn)
    conn.execute(raw_table_ddl(RAW_SCHEMA, spec.table_name, spec.columns))
    result = LoadResult(uuid.uuid4().hex, f"{RAW_SCHEMA}.{spec.table_name}", start, end)
    exports = discover_export_files(landing, spec, start, end)
    readable, headers = _screen_files(conn, spec, exports, result)
    readable = _stage_readable(conn, spec, readable, headers, result)
    _type_stage(conn, spec)
    _count_rows(conn, spec, readable, result)
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    _write(conn, spec, readable, result, loaded_at)
    if quarantine is not None:
        for file_load in result.rejected_files:
            _quarantine(Path(file_load.source_file), file_load.reason or "", landing, quarantine)
    return result


def _screen_files(
    conn: duckdb.DuckDBPyConnection, spec: SourceSpec, exports: list[ExportFile], result: LoadResult
) -> tuple[list[ExportFile], set[str]]:
    """Hash every file and reject whole files whose columns cannot satisfy the spec."""
    readable, headers = [], set()
    for export in exports:
        file_load = FileLoad(export.export_date, str(export.path), sha256_of(export.path), export.path.stat().st_size)
        result.files.append(file_load)
        if file_load.size_bytes == 0:
            continue
        try:
            columns = _file_columns(conn, spec, export.path)
        except (UnicodeError, duckdb.Error, OSError) as error:
            _reject_file(file_load, spec, f"cannot read the file as {spec.format.type} ({spec.format.encoding}): {error}")
            continue
        if columns is not None:
            missing = [c for c in spec.required_columns if c.source not in columns]
            if missing:
                names = ", ".join(f'"{c.source}" (for {c.name})' for c in missing)
                _reject_file(file_load, spec, f"required column(s) missing from the header: {names}")
                continue
            headers.update(columns)
        readable.append(export)
    return readable, headers


def _file_columns(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, path: Path) -> set[str] | None:
    if spec.format.type == "csv":
        return set(read_csv_header(path, spec))
    if spec.format.type == "parquet":
        return set(parquet_columns(conn, str(path)))
    return None  # JSON lines: keys are checked record by record


def _stage_readable(
    conn: duckdb.DuckDBPyConnection, spec: SourceSpec, readable: list[ExportFile], headers: set[str], result: LoadResult
) -> list[ExportFile]:
    """Stage all readable files in one read; when that fails, find and reject the files that break it."""
    if not readable:
        _empty_stage(conn, spec)
        return readable
    try:
        stage_files(conn, spec, [str(e.path) for e in readable], headers)
        return readable
    except duckdb.Error:
        pass
    good = []
    by_path = {f.source_file: f for f in result.files}
    for export in readable:
        try:
            stage_files(conn, spec, [str(export.path)], headers)
            good.append(export)
        except duckdb.Error as error:
            _reject_file(by_path[str(export.path)], spec, f"the {spec.format.type} reader failed: {error}")
    if good:
        stage_files(conn, spec, [str(e.path) for e in good], headers)
    else:
        _empty_stage(conn, spec)
    return good


def _empty_stage(conn: duckdb.DuckDBPyConnection, spec: SourceSpec) -> None:
    columns = ", ".join(f"null::varchar as {quote_identifier('raw__' + c.name)}" for c in spec.columns)
    conn.execute("drop table if exists _stage")
    conn.execute(
        "create temp table _stage as select null::varchar as _source_file, null::bigint as _record, "
        f"null::bigint as _line, null::varchar as _raw, null::varchar as _parse_error, {columns} limit 0"
    )


def _type_stage(conn: duckdb.DuckDBPyConnection, spec: SourceSpec) -> None:
    """``_typed``: every staged record with its typed columns and the reasons it breaks the spec."""
    typed = [f"{typed_expression(c, spec.format)} as {quote_identifier(c.name)}" for c in spec.columns]
    errors = ", ".join(error_expression(c, spec.format) for c in spec.columns)
    conn.execute("drop table if exists _typed")
    conn.execute(
        f"""
        create temp table _typed as
        select _source_file, _record, _line, _raw,
            coalesce(_parse_error, concat_ws('; ', {errors})) as _errors,
            {", ".join(typed)}
        from _stage
        """
    )


def _count_rows(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, readable: list[ExportFile], result: LoadResult) -> None:
    counts = dict(
        ((row[0]), (row[1], row[2]))
        for row in conn.execute(
            "select _source_file, count(*), count(*) filter (where _errors <> '') from _typed group by all"
        ).fetchall()
    )
    by_path = {f.source_file: f for f in result.files}
    for export in readable:
        file_load = by_path[str(export.path)]
        read, rejected = counts.get(str(export.path), (0, 0))
        file_load.rows_read, file_load.rows_rejected, file_load.rows_loaded = read, rejected, read - rejected
        if rejected and spec.on_bad_row == "reject_file":
            first = conn.execute(
                "select _record, _errors from _typed where _source_file = ? and _errors <> '' order by _record limit 1",
                [file_load.source_file],
            ).fetchone()
            _reject_file(file_load, spec, f"{rejected} record(s) break the spec; the first, record {first[0]}: {first[1]}")


def _write(
    conn: duckdb.DuckDBPyConnection, spec: SourceSpec, readable: list[ExportFile], result: LoadResult, loaded_at: datetime
) -> None:
    """Replace the export days' rows, rejects and manifest entries in one transaction."""
    table = f"{RAW_SCHEMA}.{quote_identifier(spec.table_name)}"
    rejected_files = [f.source_file for f in result.rejected_files]
    names = ", ".join(quote_identifier(c.name) for c in spec.columns)
    conn.execute("begin transaction")
    try:
        conn.execute("drop table if exists _files")
        conn.execute("create temp table _files (path varchar, export_date date)")
        _insert_rows(conn, "_files", ["path", "export_date"], [(str(e.path), e.export_date) for e in readable])
        conn.execute(f"delete from {table} where _export_date between ? and ?", [result.start, result.end])
        conn.execute(
            f"""
            insert into {table} ({names}, _export_date, _source_file, _loaded_at)
            select {names}, f.export_date, s._source_file, ?
            from _typed s join _files f on s._source_file = f.path
            where s._errors = '' and not list_contains(?, s._source_file)
            """,
            [loaded_at, rejected_files],
        )
        _write_rejects(conn, spec, result, loaded_at, rejected_files)
        _write_manifest(conn, spec, result, loaded_at)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise


def _write_rejects(
    conn: duckdb.DuckDBPyConnection, spec: SourceSpec, result: LoadResult, loaded_at: datetime, rejected_files: list[str]
) -> None:
    conn.execute(
        f"delete from {RAW_SCHEMA}.{REJECTS_TABLE} where source = ? and object = ? and export_date between ? and ?",
        [spec.source, spec.object, result.start, result.end],
    )
    rows = conn.execute(
        """
        select s._source_file, f.export_date, s._record, s._line, s._errors, s._raw
        from _typed s join _files f on s._source_file = f.path
        where s._errors <> '' and not list_contains(?, s._source_file)
        order by s._source_file, s._record
        """,
        [rejected_files],
    ).fetchall()
    line_cache: dict[str, list[int]] = {}
    records = []
    for source_file, export_date, record, line, reason, raw in rows:
        if line is None and spec.format.type == "csv":
            starts = line_cache.setdefault(source_file, csv_record_lines(Path(source_file), spec))
            line = starts[record - 1] if record <= len(starts) else None
        records.append((result.load_id, spec.source, spec.object, export_date, source_file, record, line, reason, raw, loaded_at))
    _insert_rows(
        conn,
        f"{RAW_SCHEMA}.{REJECTS_TABLE}",
        ["load_id", "source", "object", "export_date", "source_file", "record_number", "line_number", "reason", "raw_record", "rejected_at"],
        records,
    )


def _write_manifest(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, result: LoadResult, loaded_at: datetime) -> None:
    rows = [
        (
            result.load_id, spec.source, spec.object, f.export_date, f.source_file, f.sha256, f.size_bytes,
            f.status, f.reason, f.rows_read, f.rows_loaded, f.rows_rejected, loaded_at,
        )
        for f in result.files
    ]
    _insert_rows(
        conn,
        f"{RAW_SCHEMA}.{MANIFEST_TABLE}",
        ["load_id", "source", "object", "export_date", "source_file", "sha256", "size_bytes", "status", "reason",
         "rows_read", "rows_loaded", "rows_rejected", "loaded_at"],
        rows,
    )


def _insert_rows(conn: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Insert many rows in one statement (DuckDB's executemany runs one statement per row)."""
    if not rows:
        return
    frame = pd.DataFrame(rows, columns=columns).astype(object)
    conn.register("_rows_to_insert", frame)
    try:
        names = ", ".join(quote_identifier(c) for c in columns)
        conn.execute(f"insert into {table} ({names}) select {names} from _rows_to_insert")
    finally:
        conn.unregister("_rows_to_insert")


def _reject_file(file_load: FileLoad, spec: SourceSpec, reason: str) -> None:
    file_load.status = "rejected_file"
    file_load.reason = f"{file_load.source_file}: {reason}"
    if not file_load.rows_read:
        file_load.rows_read = count_data_lines(Path(file_load.source_file), spec.format.header and spec.format.type == "csv")
    file_load.rows_rejected, file_load.rows_loaded = file_load.rows_read, 0


def _quarantine(path: Path, reason: str, landing: Path, quarantine: Path) -> None:
    """Move a rejected file below the quarantine folder, keeping its landing path, beside a reason file."""
    if not path.exists():
        return
    target = quarantine / path.resolve().relative_to(landing.resolve())
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), target)
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
