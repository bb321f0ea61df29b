"""Load the export files of a range of export days into ``raw.<source>__<object>``.

Re-loading a range replaces exactly the rows of those export days, in one transaction, so
loading the same files twice never duplicates a row and a failed load leaves the table as it
was. Every file found is accounted for in ``raw._load_manifest`` (rows read = loaded + rejected):
loaded, rejected whole (and moved to quarantine beside a reason file), a duplicate of a file
already loaded (content hash), still being written (its day is left as it was), or superseded by
a later export of its day. Records that break the spec go to ``raw._rejected_rows`` with the
file, record number, line, columns and reason. See docs/sources.md.
"""

from __future__ import annotations

import json
import re
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.ingest.bookkeeping import MANIFEST_TABLE, RAW_SCHEMA, REJECTS_TABLE, ensure_bookkeeping
from orchestration.ingest.excel import WorkbookError, xlsx_to_csv
from orchestration.ingest.files import (
    CsvDialect,
    EncodingPlan,
    FileScan,
    count_data_lines,
    csv_positions,
    fallback_record_numbers,
    first_line,
    plan_encoding,
    read_csv_header,
    scan_file,
    sniff_delimiter,
    transcode,
)
from orchestration.ingest.landing import LandedFile, Landing, open_landing
from orchestration.ingest.readers import (
    READ_ERRORS,
    StagedFile,
    create_stage,
    json_document_check,
    json_keys_by_file,
    json_path,
    number_records_by_file,
    parquet_columns,
    stage_group,
)
from orchestration.ingest.specs import SourceSpec
from orchestration.ingest.sql import (
    LINEAGE_COLUMNS,
    error_expression,
    quote_identifier,
    quote_literal,
    raw_table_ddl,
    rule_expression,
    typed_expression,
)

MAX_NAMES_IN_NOTE = 10
INSERT_BATCH = 200
MB = 1 << 20
JSON_MEMORY_FACTOR = 3  # measured: staging a 290 MB JSON-lines file needs 2.6 times its size at once
FRAME_INSERT_MIN_ROWS = 20  # measured: 415 manifest rows take 1.1 s as bound parameters, 0.08 s as a frame


@dataclass
class FileLoad:
    """What happened to one export file."""

    export_date: date
    source_file: str
    sha256: str | None
    size_bytes: int
    status: str = "loaded"  # loaded | rejected_file | duplicate | in_progress | deferred | superseded
    reason: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0  # loaded records identical to a record already loaded (same file, another file or day)
    rows_key_conflict: int = 0  # loaded records whose key and version another file holds with other values
    duplicate_of: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class LoadResult:
    """The outcome of one call of :func:`load_export_days`."""

    load_id: str
    table: str
    start: date
    end: date
    files: list[FileLoad] = field(default_factory=list)
    deferred_days: list[date] = field(default_factory=list)

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

    def with_status(self, status: str) -> list[FileLoad]:
        return [f for f in self.files if f.status == status]


@dataclass
class _File:
    """One landed file while it is being loaded."""

    file_id: int
    landed: LandedFile
    load: FileLoad
    scan: FileScan | None = None
    local: Path | None = None
    staged: StagedFile | None = None
    row_lines: bool = False  # Excel: a record's line is its sheet row

    @property
    def active(self) -> bool:
        return self.load.status == "loaded" and self.staged is not None


def load_export_days(
    conn: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    landing: Path | str,
    start: date,
    end: date,
    quarantine: Path | str | None = None,
    publish: Callable[[LoadResult], None] | None = None,
    memory_limit_mb: int | None = None,
) -> LoadResult:
    """Replace the rows of export days [start, end] in the spec's raw table with what the files hold.

    ``landing`` is a local folder or an ``s3://bucket/prefix`` URL; ``quarantine`` (optional) a
    local folder or an ``s3://`` URL that rejected files are moved to. ``publish`` (optional) is
    called once the load is committed to ``conn`` and before any file moves to quarantine: another
    warehouse takes the load over there (orchestration/ingest/postgres.py), and if it fails, the
    files stay where a re-run finds them. ``memory_limit_mb`` (optional) bounds DuckDB's memory for
    the load (:func:`limit_memory`); the connection's temporary directory takes what does not fit.
    """
    if memory_limit_mb is not None:  # planning reads the manifest and the raw table too: bounded from the start
        limit_memory(conn, spec, [], memory_limit_mb)
    ensure_bookkeeping(conn)
    conn.execute(raw_table_ddl(RAW_SCHEMA, spec.table_name, spec.columns))
    result = LoadResult(uuid.uuid4().hex, f"{RAW_SCHEMA}.{spec.table_name}", start, end)
    store = open_landing(landing)
    with tempfile.TemporaryDirectory(prefix="salesops-ingest-") as staging:
        files = _plan(conn, spec, store, start, end, Path(staging), result)
        if memory_limit_mb is not None:  # what the files to read need (a JSON file is read whole)
            limit_memory(conn, spec, [f.load for f in files if f.load.status == "loaded"], memory_limit_mb)
        extras = _prepare(conn, spec, files, Path(staging))
        _stage(conn, spec, files, extras)
        _mark_duplicate_files(conn, files)
        _type_stage(conn, spec, extras)
        _check_keys(conn, spec, result)
        _count(conn, spec, files)
        _locate_rejects(conn, spec, files)
        _reject_bad_files(conn, spec, files)
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        _write(conn, spec, files, extras, result, loaded_at)
    if publish is not None:
        publish(result)
    for file in files:
        if file.load.status == "rejected_file" and file.landed.refused is None:
            store.quarantine(file.landed, file.load.reason or "", quarantine)
    return result


def limit_memory(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[FileLoad], limit_mb: int) -> None:
    """Bound DuckDB's memory for this load to ``limit_mb``, whatever the number and size of CSV and Parquet files:
    their records stream into temporary tables, which spill to disk beyond the limit. A JSON file is read
    whole (its text, then its lines), so the limit grows by JSON_MEMORY_FACTOR times the largest one."""
    largest = max((f.size_bytes for f in files), default=0) if spec.format.type in ("json", "jsonl") else 0
    conn.execute(f"set memory_limit = '{limit_mb + JSON_MEMORY_FACTOR * largest // MB}MiB'")


# --- which files to read -------------------------------------------------------------------


def _plan(
    conn: duckdb.DuckDBPyConnection, spec: SourceSpec, store: Landing, start: date, end: date, staging: Path, result: LoadResult
) -> list[_File]:
    """Every landed file with its status before reading: in progress, deferred, superseded, duplicate, or to read."""
    landed = store.discover(spec, start, end)
    files = []
    for file_id, item in enumerate(landed, start=1):
        load = FileLoad(item.export_date, item.location, None, item.size_bytes)
        result.files.append(load)
        files.append(_File(file_id, item, load))
    busy: dict[date, list[_File]] = defaultdict(list)
    for file in files:
        if file.landed.refused:
            _reject(file, spec, file.landed.refused)
        elif file.landed.in_progress:
            file.load.status = "in_progress"
            file.load.reason = f"{file.landed.location}: still being written ({file.landed.in_progress}); its day waits for it"
            busy[file.landed.export_date].append(file)
    result.deferred_days = sorted(busy)
    for file in files:
        day = file.landed.export_date
        if day in busy and file.load.status == "loaded":
            names = ", ".join(f.landed.name for f in busy[day])
            file.load.status = "deferred"
            file.load.reason = f"{file.landed.location}: export day {day} is left as it was until {names} is complete"
    if spec.day_files == "latest":
        by_day: dict[date, list[_File]] = defaultdict(list)
        for file in files:
            if file.load.status == "loaded":
                by_day[file.landed.export_date].append(file)
        for day_files in by_day.values():
            latest = max(day_files, key=lambda f: (f.landed.modified, f.landed.name))
            for file in day_files:
                if file is not latest:
                    file.load.status = "superseded"
                    file.load.reason = (
                        f"{file.landed.location}: replaced by {latest.landed.name}, the latest export of the day (day_files: latest)"
                    )
    for file in files:
        if file.load.status != "loaded":
            continue
        suffix = Path(file.landed.name).suffix.lower()[:10]
        try:
            file.local = store.fetch(file.landed, staging / f"f{file.file_id}.landed{_safe_suffix(suffix)}")
        except PermissionError as refusal:  # replaced by a link leading outside the landing folder since discovery
            file.landed.refused = str(refusal)
            _reject(file, spec, file.landed.refused)
            continue
        file.scan = scan_file(file.local)
        file.load.sha256, file.load.size_bytes = file.scan.sha256, file.scan.size_bytes
    _mark_loaded_elsewhere(conn, spec, files, start, end, result.deferred_days)
    return files


def _safe_suffix(suffix: str) -> str:
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,9}", suffix) else ""


def _mark_loaded_elsewhere(
    conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[_File], start: date, end: date, deferred: list[date]
) -> None:
    """A file whose content is already loaded from a file of a day this load does not replace is a no-op."""
    candidates = {f.load.sha256: f for f in files if f.load.status == "loaded" and f.scan and f.scan.size_bytes}
    if not candidates:
        return
    table = f"{RAW_SCHEMA}.{quote_identifier(spec.table_name)}"
    rows = conn.execute(
        f"""
        with latest as (
            select source_file, export_date, sha256, status,
                row_number() over (partition by source_file, export_date order by loaded_at desc) as newest
            from {RAW_SCHEMA}.{MANIFEST_TABLE}
            where source = ? and object = ? and (export_date not between ? and ? or list_contains(?, export_date))
        ),
        loaded as (
            select * from latest where newest = 1 and status = 'loaded' and list_contains(?, sha256)
        ),
        -- a semi join on the few manifest rows: an exists over the raw table hashed every raw row's file
        -- and day (2.7 GB at 18M stage changes)
        in_raw as (
            select distinct r._source_file, r._export_date
            from {table} r
            semi join loaded l on r._source_file = l.source_file and r._export_date = l.export_date
        )
        select l.sha256, l.source_file, l.export_date
        from loaded l
        where exists (select 1 from in_raw r where r._source_file = l.source_file and r._export_date = l.export_date)
           or exists (select 1 from {RAW_SCHEMA}.{REJECTS_TABLE} j
                      where j.source = ? and j.object = ? and j.source_file = l.source_file and j.export_date = l.export_date)
        order by l.export_date, l.source_file
        """,
        [spec.source, spec.object, start, end, deferred, list(candidates), spec.source, spec.object],
    ).fetchall()
    for sha, source_file, export_date in rows:
        file = candidates.get(sha)
        if file is not None and file.load.status == "loaded":
            _mark_duplicate(file, source_file, f"loaded for export day {export_date}")


def _mark_duplicate(file: _File, original: str, where: str) -> None:
    file.load.status = "duplicate"
    file.load.duplicate_of = original
    file.load.reason = (
        f"{file.landed.location}: same content (sha256 {file.load.sha256[:12]}...) as {original}, {where}; not loaded again"
    )


# --- how to read each file -----------------------------------------------------------------


def _prepare(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[_File], staging: Path) -> list[str]:
    """Decide per file how DuckDB reads it and where each column comes from; reject files that cannot satisfy the spec."""
    extras_by_export: dict[str, str] = {}
    for file in files:
        if file.load.status != "loaded" or file.scan is None:
            continue
        if file.scan.size_bytes == 0:
            file.load.notes.append("empty file (0 bytes)")
            continue
        try:
            if spec.format.type in ("csv", "xlsx"):
                _prepare_csv(spec, file, staging, extras_by_export)
            elif spec.format.type == "parquet":
                _prepare_parquet(conn, spec, file, staging, extras_by_export)
            else:
                _prepare_json(conn, spec, file, staging)
        except _FileRejected as rejection:
            _reject(file, spec, str(rejection))
    return sorted(set(extras_by_export.values()))


class _FileRejected(Exception):
    """The file cannot be loaded as the spec says; the message is the reason."""


def _link(file: _File, staging: Path, suffix: str) -> Path:
    """A staging name for the file that no glob character or odd byte in its real name can affect."""
    target = staging / f"f{file.file_id}{suffix}"
    if file.local != target:
        target.symlink_to(Path(file.local).resolve())
    return target


def _encoding(spec: SourceSpec, file: _File, staging: Path, suffix: str) -> tuple[Path, EncodingPlan]:
    plan = plan_encoding(file.scan, spec.format.encoding)
    if plan.note:
        file.load.notes.append(plan.note)
    if plan.transcode_from is None:
        return _link(file, staging, suffix), plan
    target = staging / f"f{file.file_id}.utf8{suffix}"
    try:
        transcode(file.local, target, plan.transcode_from)
    except UnicodeDecodeError as error:
        line = _line_of_offset(file.local, error.start)
        raise _FileRejected(
            f"line {line}: byte(s) {error.object[error.start:error.end].hex(' ')} are not valid {plan.transcode_from} "
            f"({error.reason}); set format.encoding in the spec to the encoding the file is written in"
        ) from None
    return target, plan


def _line_of_offset(path: Path, offset: int) -> int:
    with Path(path).open("rb") as handle:
        return handle.read(offset).count(b"\n") + 1


def _prepare_csv(spec: SourceSpec, file: _File, staging: Path, extras_by_export: dict[str, str]) -> None:
    fmt = spec.format
    if fmt.type == "xlsx":
        target = staging / f"f{file.file_id}.xlsx.csv"
        try:
            xlsx_to_csv(file.local, target, fmt.sheet)
        except WorkbookError as error:
            raise _FileRejected(str(error)) from None
        dialect = CsvDialect(",", '"', '"', fmt.header, "utf-8", "utf-8", max(fmt.max_line_size, 1 << 24))
        path, file.row_lines = target, True
    else:
        path, plan = _encoding(spec, file, staging, ".csv")
        dialect = CsvDialect.of(fmt, plan)
    try:
        header = read_csv_header(path, dialect)
    except UnicodeError as error:
        raise _FileRejected(f"cannot decode the header as {dialect.python_encoding}: {error}") from None
    if not header:
        file.load.notes.append("no records (only blank lines)")
        return
    mapping, extras, problems, notes = _match_columns(spec, header)
    if problems:
        hint = ""
        if fmt.type == "csv" and fmt.header:
            other = sniff_delimiter(first_line(path, dialect), fmt.delimiter)
            if other:
                hint = f"; the header line has no {fmt.delimiter!r} but has {other!r}: is format.delimiter right?"
        raise _FileRejected("; ".join(problems) + hint)
    file.load.notes.extend(notes)
    added = _added_extras(spec, file, extras, extras_by_export)
    file.staged = StagedFile(
        file.file_id, path, "csv", dialect, tuple(header),
        {name: f"c{index}" for name, index in mapping.items()},
        {added[export]: f"c{index}" for export, index in extras.items() if export in added},
    )


def _prepare_parquet(
    conn: duckdb.DuckDBPyConnection, spec: SourceSpec, file: _File, staging: Path, extras_by_export: dict[str, str]
) -> None:
    path = _link(file, staging, ".parquet")
    try:
        columns = parquet_columns(conn, str(path))
    except READ_ERRORS as error:
        raise _FileRejected(f"not a readable Parquet file: {_first_line(error)}") from None
    mapping, extras, problems, notes = _match_columns(spec, columns)
    if problems:
        raise _FileRejected("; ".join(problems))
    file.load.notes.extend(notes)
    added = _added_extras(spec, file, extras, extras_by_export)
    file.staged = StagedFile(
        file.file_id, path, "parquet", None, tuple(columns),
        {name: columns[index] for name, index in mapping.items()},
        {added[export]: columns[index] for export, index in extras.items() if export in added},
    )


def _prepare_json(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, file: _File, staging: Path) -> None:
    suffix = ".jsonl" if spec.format.type == "jsonl" else ".json"
    path, plan = _encoding(spec, file, staging, suffix)
    if plan.duckdb != "utf-8" or (plan.transcode_from is None and not file.scan.valid_utf8):
        if not file.scan.valid_utf8 and plan.transcode_from is None and plan.duckdb == "utf-8":
            line = _first_invalid_utf8_line(file.local)
            raise _FileRejected(
                f"line {line}: not valid UTF-8; JSON exports are UTF-8 — set format.encoding in the spec if this one is not"
            )
        target = staging / f"f{file.file_id}.utf8{suffix}"
        transcode(file.local, target, plan.python)
        path = target
    if spec.format.type == "json":
        try:
            problem = json_document_check(conn, str(path), spec.format.records_path)
        except READ_ERRORS as error:
            problem = f"cannot read the JSON document: {_first_line(error)}"
        if problem:
            raise _FileRejected(problem)
    mapping = {c.name: json.dumps([json_path(name) for name in c.export_names]) for c in spec.columns}
    file.staged = StagedFile(file.file_id, path, spec.format.type, None, (), mapping, {}, spec.format.records_path)


def _first_invalid_utf8_line(path: Path) -> int:
    data = Path(path).read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return data[: error.start].count(b"\n") + 1
    return 1


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def _match_columns(spec: SourceSpec, header: list[str]) -> tuple[dict[str, int], dict[str, int], list[str], list[str]]:
    """Map spec columns to header positions: exact names first, then a unique case- and space-insensitive match.

    Returns (column -> position, extra export column -> position, problems rejecting the file, notes).
    """
    exact: dict[str, list[int]] = defaultdict(list)
    folded: dict[str, list[int]] = defaultdict(list)
    for index, name in enumerate(header):
        exact[name].append(index)
        folded[_fold(name)].append(index)
    mapping: dict[str, int] = {}
    problems, notes, missing_required, missing_optional, loose = [], [], [], [], []
    for column in spec.columns:
        position = None
        for name in column.export_names:
            if len(exact.get(name, [])) > 1:
                fields = " and ".join(str(i + 1) for i in exact[name])
                problems.append(f'export column "{name}" (for {column.name}) appears more than once in the header (fields {fields})')
                position = -1
                break
            if exact.get(name):
                position = exact[name][0]
                break
        if position is None:
            for name in column.export_names:
                matches = folded.get(_fold(name), [])
                if len(matches) == 1:
                    position = matches[0]
                    loose.append(f'"{header[position]}" for "{column.source}"')
                    break
        if position is None:
            (missing_required if column.required else missing_optional).append(column)
        elif position >= 0:
            mapping[column.name] = position
    used = set(mapping.values())
    extras = {(header[i] or f"(unnamed column {i + 1})"): i for i in range(len(header)) if i not in used}
    if missing_required:
        names = ", ".join(f'"{c.source}" (for {c.name})' for c in missing_required)
        problems.append(f"required column(s) missing from the header: {names}")
    drift = spec.on_schema_drift
    if drift == "fail" and (missing_optional or extras):
        parts = []
        if missing_optional:
            parts.append("missing: " + ", ".join(f'"{c.source}"' for c in missing_optional))
        if extras:
            parts.append("not in the spec: " + ", ".join(f'"{name}"' for name in _some(list(extras))))
        problems.append(f"the columns differ from the spec (on_schema_drift: fail); {'; '.join(parts)}")
    if loose:
        notes.append("matched header(s) ignoring case and spaces: " + ", ".join(loose))
    if missing_optional and drift != "fail":
        empty = [c for c in missing_optional if c.default is None]
        defaulted = [c for c in missing_optional if c.default is not None]
        if empty:
            notes.append("optional column(s) missing, loaded as empty: " + ", ".join(f'"{c.source}" (for {c.name})' for c in empty))
        if defaulted:
            notes.append("column(s) missing, loaded as the spec's default: " + ", ".join(f'"{c.source}" (for {c.name} = {c.default!r})' for c in defaulted))
    if extras and drift == "ignore":
        notes.append(f"{len(extras)} column(s) not in the spec, not loaded: " + ", ".join(f'"{n}"' for n in _some(list(extras))))
    return mapping, extras, problems, notes


def _some(names: list[str]) -> list[str]:
    return names[:MAX_NAMES_IN_NOTE] + ([f"... {len(names) - MAX_NAMES_IN_NOTE} more"] if len(names) > MAX_NAMES_IN_NOTE else [])


def warehouse_name(export_name: str) -> str:
    """A lower_snake_case column name for an export column that schema drift adds."""
    name = re.sub(r"[^a-z0-9]+", "_", export_name.casefold()).strip("_")[:60]
    return name if re.match(r"^[a-z]", name or "") else f"x_{name}".rstrip("_")


def _added_extras(spec: SourceSpec, file: _File, extras: dict[str, int], extras_by_export: dict[str, str]) -> dict[str, str]:
    """With on_schema_drift: add, the warehouse column each extra export column is loaded into."""
    if spec.on_schema_drift != "add" or not extras:
        return {}
    taken = {c.name for c in spec.columns} | {name for name, _ in LINEAGE_COLUMNS} | set(extras_by_export.values())
    added = {}
    for export in extras:
        if export.startswith("(unnamed column"):
            continue
        if export not in extras_by_export:
            base = warehouse_name(export)
            name = base if base not in taken else f"extra_{base}"
            suffix = 2
            while name in taken:
                name, suffix = f"extra_{base}_{suffix}", suffix + 1
            extras_by_export[export] = name
            taken.add(name)
        added[export] = extras_by_export[export]
    if added:
        file.load.notes.append("column(s) added to the table (on_schema_drift: add): " + ", ".join(f'"{e}" as {n}' for e, n in added.items()))
    return added


# --- reading --------------------------------------------------------------------------------


def _stage(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[_File], extras: list[str]) -> None:
    """Read every prepared file, one statement per layout; a layout that fails is read file by file."""
    conn.execute("create or replace temp table _files (_file_id integer, _staged varchar, source_file varchar, export_date date)")
    rows = [(f.file_id, str(f.staged.path), f.load.source_file, f.load.export_date) for f in files if f.active]
    _insert_rows(conn, "_files", ["_file_id", "_staged", "source_file", "export_date"], rows)
    create_stage(conn, spec, extras)
    groups: dict[tuple, list[_File]] = defaultdict(list)
    for file in files:
        if file.active:
            groups[file.staged.layout()].append(file)
    for group in groups.values():
        try:
            stage_group(conn, spec, [f.staged for f in group], extras)
            continue
        except READ_ERRORS:
            conn.execute("delete from _stage where list_contains(?, _file_id)", [[f.file_id for f in group]])
        for file in group:
            try:
                stage_group(conn, spec, [file.staged], extras)
            except READ_ERRORS as error:
                conn.execute("delete from _stage where _file_id = ?", [file.file_id])
                _reject(file, spec, f"the {spec.format.type} reader cannot read the file: {_first_line(error)}")
    number_records_by_file(conn)
    if spec.format.type in ("jsonl", "json"):
        _json_drift(conn, spec, files, extras)


def _json_drift(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[_File], extras: list[str]) -> None:
    """Keys of JSON records that the spec does not map: noted, added as columns, or the file rejected."""
    known = {_top_level_key(name) for c in spec.columns for name in c.export_names}
    by_file = json_keys_by_file(conn)
    added_names: dict[str, str] = {}
    for file in files:
        if not file.active:
            continue
        unknown = [k for k in by_file.get(file.file_id, []) if k not in known]
        if not unknown:
            continue
        if spec.on_schema_drift == "fail":
            conn.execute("delete from _stage where _file_id = ?", [file.file_id])
            _reject(file, spec, "the records have key(s) not in the spec (on_schema_drift: fail): " + ", ".join(f'"{k}"' for k in _some(unknown)))
        elif spec.on_schema_drift == "ignore":
            file.load.notes.append(f"{len(unknown)} key(s) not in the spec, not loaded: " + ", ".join(f'"{k}"' for k in _some(unknown)))
        else:
            added = _added_extras(spec, file, {k: 0 for k in unknown}, added_names)
            for key, name in added.items():
                column = quote_identifier(f"extra__{name}")
                conn.execute(f"alter table _stage add column if not exists {column} varchar")
                conn.execute(
                    f"update _stage set {column} = json_extract_string(_raw, ?) where _file_id = ? and _parse_error is null",
                    [json_path(key), file.file_id],
                )
                if name not in extras:
                    extras.append(name)


def _top_level_key(source: str) -> str:
    """The record key a spec source reads: the source itself, or the first step of a JSON path."""
    if not source.startswith("$"):
        return source
    rest = source[1:].lstrip(".")
    if rest.startswith('"'):
        end = rest.find('"', 1)
        return rest[1:end] if end > 0 else rest[1:]
    return re.split(r"[.\[]", rest, maxsplit=1)[0]


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _mark_duplicate_files(conn: duckdb.DuckDBPyConnection, files: list[_File]) -> None:
    """Files of this load with the same content as an earlier file of this load that has records: no-ops."""
    hashes = [f.load.sha256 for f in files if f.active]
    if len(hashes) == len(set(hashes)):
        return
    counts = dict(conn.execute("select _file_id, count(*) from _stage group by all").fetchall())
    first: dict[str, _File] = {}
    for file in files:
        if not file.active or not counts.get(file.file_id):
            continue
        original = first.setdefault(file.load.sha256, file)
        if original is not file:
            conn.execute("delete from _stage where _file_id = ?", [file.file_id])
            _mark_duplicate(file, original.landed.location, "in this load")


# --- typing and checks ----------------------------------------------------------------------


def _type_stage(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, extras: list[str]) -> None:
    """``_typed``: every staged record with its typed columns, the reasons it breaks the spec and kept warnings."""
    fmt = spec.format
    typed = [f"cast({typed_expression(c, fmt)} as {c.type}) as {quote_identifier('typed__' + c.name)}" for c in spec.columns]
    refs = {c.name: quote_identifier("typed__" + c.name) for c in spec.columns}
    errors = "[" + ", ".join(error_expression(c, fmt, typed=refs[c.name]) for c in spec.columns) + "]"
    names = "[" + ", ".join(quote_literal(c.name) for c in spec.columns) + "]"
    rules = [rule_expression(c, fmt, typed=refs[c.name]) for c in spec.columns if c.on_rule_violation == "warn"]
    warnings = "[" + ", ".join(r for r in rules if r) + "]" if any(rules) else "[]::varchar[]"
    outputs = [f"{refs[c.name]} as {quote_identifier(c.name)}" for c in spec.columns]
    outputs += [f"{quote_identifier('extra__' + name)} as {quote_identifier(name)}" for name in extras]
    conn.execute(
        f"""
        create or replace temp table _typed as
        select _stage_row, _file_id, _record, _line, _reader_row, _raw,
            coalesce(_parse_error, nullif(array_to_string(list_filter(_error_list, lambda e: e is not null), '; '), '')) as _errors,
            case when _parse_error is null then nullif(array_to_string(list_filter(
                list_transform(_error_list, lambda e, i: case when e is not null then {names}[i] end),
                lambda n: n is not null), ', '), '')
            end as _error_columns,
            case when _parse_error is null then
                nullif(array_to_string(list_filter(_warning_list, lambda w: w is not null), '; '), '')
            end as _warnings,
            false as _duplicate, false as _key_conflict,
            {", ".join(outputs)}
        from (
            select *, {errors} as _error_list, {warnings} as _warning_list
            from (select rowid as _stage_row, *, {", ".join(typed)} from _stage)
        )
        """
    )


def _check_keys(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, result: LoadResult) -> None:
    """Duplicate records and primary-key conflicts, within a file, across files and against earlier days."""
    keys = [quote_identifier(k) for k in spec.primary_key]
    values = ", ".join(quote_identifier(c.name) for c in spec.columns)
    version = quote_identifier(spec.updated_at) if spec.updated_at else "null"
    table = f"{RAW_SCHEMA}.{quote_identifier(spec.table_name)}"
    key_list = ", ".join(keys)
    same_key = lambda a, b: " and ".join(f"{a}.{k} is not distinct from {b}.{k}" for k in keys)  # noqa: E731
    candidate_list = ", ".join(f"{k} as _candidate_{i}" for i, k in enumerate(keys))
    candidate_matches = " and ".join(f"c._candidate_{i} is not distinct from t.{k}" for i, k in enumerate(keys))
    conn.execute(
        f"""
        create or replace temp table _prior_keys as
        select {key_list}, {version} as _version, hash({values}) as _hash
        from {table}
        where (_export_date not between ? and ? or list_contains(?, _export_date))
          and ({key_list}) in (select ({key_list}) from _typed where _errors is null)
        """,
        [result.start, result.end, result.deferred_days],
    )
    # Only a record whose key another record of this load or of an earlier day also has can be a
    # duplicate or a conflict: the windows below sort those few, not every record loaded.
    conn.execute(f"create or replace temp table _repeated_keys as select {key_list} from _typed where _errors is null group by all having count(*) > 1")
    if not conn.execute("select exists (from _repeated_keys) or exists (from _prior_keys)").fetchone()[0]:
        return
    conn.execute(
        f"""
        create or replace temp table _key_checks as
        with candidate_keys as (
            select {candidate_list} from _repeated_keys
            union
            select {candidate_list} from _prior_keys
        ),
        v as (
            -- a semi join builds its hash table on the few candidate keys; correlated exists
            -- subqueries built theirs on every loaded key (out of memory at 18M records)
            select _stage_row, _file_id, {key_list}, {version} as _version, hash({values}) as _hash
            from _typed t semi join candidate_keys c on {candidate_matches}
            where _errors is null
        ),
        against_prior as (
            select v._stage_row,
                bool_or(p._hash = v._hash) as prior_duplicate,
                bool_or(p._version is not distinct from v._version and p._hash <> v._hash and v._version is not null) as prior_conflict
            from v join _prior_keys p on {same_key("p", "v")}
            group by v._stage_row
        ),
        windows as (
            select v.*,
                min(_hash) over in_file <> max(_hash) over in_file as file_conflict,
                count(*) over in_file as file_versions,
                row_number() over (partition by _file_id, {", ".join(keys)}, _hash order by _stage_row) > 1 as file_duplicate,
                min(_file_id) over (partition by {", ".join(keys)}, _hash) < _file_id as load_duplicate,
                _version is not null and min(_hash) over across <> max(_hash) over across
                    and min(_file_id) over across <> max(_file_id) over across as load_conflict
            from v
            window in_file as (partition by _file_id, {", ".join(keys)}, _version),
                   across as (partition by {", ".join(keys)}, _version)
        )
        select w.*, coalesce(a.prior_duplicate, false) as prior_duplicate, coalesce(a.prior_conflict, false) as prior_conflict
        from windows w left join against_prior a using (_stage_row)
        """
    )
    conflicts, flagged = conn.execute(
        "select count(*) filter (where file_conflict), count(*) filter (where file_duplicate or load_duplicate or prior_duplicate "
        "or load_conflict or prior_conflict or file_conflict) from _key_checks"
    ).fetchone()
    if not flagged:
        return
    shown = " || ', ' || ".join(f"coalesce('''' || k.{k}::varchar || '''', 'null')" for k in keys)
    key_names = ", ".join(spec.primary_key)
    if spec.updated_at:
        same = f"' different records in this file with the same {spec.updated_at} (' || coalesce(k._version::varchar, 'empty') || ')'"
    else:
        same = "' different records in this file (the spec has no updated_at to tell which is newer)'"
    if spec.on_key_conflict == "reject_row" and conflicts:
        conn.execute(
            f"""
            update _typed set
                _errors = 'primary key ({key_names}) = (' || {shown} || '): ' || k.file_versions || {same},
                _error_columns = {quote_literal(key_names)}
            from _key_checks k
            where _typed._stage_row = k._stage_row and k.file_conflict
            """
        )
    if spec.on_key_conflict == "reject_row":
        conflict = "k.load_conflict or k.prior_conflict"
    else:
        conflict = "k.file_conflict or k.load_conflict or k.prior_conflict"
    conn.execute(
        f"""
        update _typed set
            _duplicate = (k.file_duplicate or k.load_duplicate or k.prior_duplicate) and not k.file_conflict,
            _key_conflict = {conflict}
        from _key_checks k
        where _typed._stage_row = k._stage_row and _typed._errors is null
        """
    )


def _count(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[_File]) -> None:
    counts = {
        row[0]: row[1:]
        for row in conn.execute(
            """
            select _file_id, count(*),
                count(*) filter (where _errors is not null),
                count(*) filter (where _errors is null and _duplicate),
                count(*) filter (where _errors is null and _key_conflict),
                count(*) filter (where _errors is null and _warnings is not null),
                any_value(_warnings) filter (where _errors is null and _warnings is not null)
            from _typed group by all
            """
        ).fetchall()
    }
    for file in files:
        if file.load.status != "loaded":
            continue
        read, rejected, duplicate, conflict, warned, example = counts.get(file.file_id, (0, 0, 0, 0, 0, None))
        load = file.load
        load.rows_read, load.rows_rejected, load.rows_loaded = read, rejected, read - rejected
        load.rows_duplicate, load.rows_key_conflict = duplicate, conflict
        if file.staged is not None and read == 0 and not load.notes:
            load.notes.append("no records (header only)" if file.staged.kind == "csv" else "no records")
        if duplicate:
            load.notes.append(f"{duplicate} record(s) repeat a record already loaded (kept; staging keeps one version)")
        if conflict:
            load.notes.append(
                f"{conflict} record(s) share key and {spec.updated_at or 'version'} with different values in another file "
                "(kept; the later export wins in staging)" if spec.on_key_conflict == "reject_row" or not spec.updated_at
                else f"{conflict} record(s) have conflicting versions of their key (kept: on_key_conflict keep)"
            )
        if warned:
            load.notes.append(f"{warned} record(s) break a rule and were kept (on_rule_violation: warn), e.g. {example}")


def _locate_rejects(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[_File]) -> None:
    """Record numbers, physical lines and record text of rejected CSV records (one pass over those files only)."""
    if not any(f.load.rows_rejected for f in files if f.load.status == "loaded"):
        return
    by_id = {f.file_id: f for f in files}
    rows = conn.execute(
        "select _file_id, _stage_row, _record, _reader_row from _typed where _errors is not null and _line is null order by all"
    ).fetchall()
    wanted: dict[int, list[tuple[int, int | None, int | None]]] = defaultdict(list)
    for file_id, stage_row, record, reader_row in rows:
        wanted[file_id].append((stage_row, record, reader_row))
    parsed = dict(conn.execute("select _file_id, count(*) from _stage where _reader_row is null group by all").fetchall())
    updates = []
    for file_id, items in wanted.items():
        file = by_id[file_id]
        if file.staged is None or file.staged.kind != "csv":
            continue
        reader_rows = {r for _, _, r in items if r is not None}
        ordinals = {rec for _, rec, r in items if r is None and rec is not None}
        positions = csv_positions(file.staged.path, file.staged.dialect, reader_rows, ordinals, parsed.get(file_id, 0), file.row_lines)
        if positions is not None:
            structural, good = positions
            for stage_row, record, reader_row in items:
                found = structural.get(reader_row) if reader_row is not None else good.get(record)
                if found:
                    updates.append((stage_row, found.record_number, found.line, found.text))
            continue
        file.load.notes.append("line numbers of rejected records unavailable: Python's csv module reads this file differently")
        structural_numbers, good_numbers = fallback_record_numbers(reader_rows, file.staged.dialect.header, ordinals)
        for stage_row, record, reader_row in items:
            number = structural_numbers.get(reader_row) if reader_row is not None else good_numbers.get(record)
            updates.append((stage_row, number, None, None))
    if updates:
        conn.execute("create or replace temp table _positions (stage_row bigint, record bigint, line bigint, text varchar)")
        _insert_rows(conn, "_positions", ["stage_row", "record", "line", "text"], updates)
        conn.execute(
            """
            update _typed set _record = p.record, _line = p.line, _raw = coalesce(p.text, _typed._raw)
            from _positions p where _typed._stage_row = p.stage_row
            """
        )
    if spec.format.type != "parquet" and all(u[3] is not None for u in updates):
        return
    names = ", ".join(f"{quote_literal(c.source)}, s.{quote_identifier('raw__' + c.name)}" for c in spec.columns)
    conn.execute(
        f"""
        update _typed set _raw = json_object({names})
        from _stage s where s.rowid = _typed._stage_row and _typed._errors is not null and _typed._raw is null
        """
    )


def _reject_bad_files(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[_File]) -> None:
    """With on_bad_row: reject_file, a file with any rejected record is rejected whole."""
    if spec.on_bad_row != "reject_file":
        return
    for file in files:
        if file.load.status == "loaded" and file.load.rows_rejected:
            record, line, reason = conn.execute(
                "select _record, _line, _errors from _typed where _file_id = ? and _errors is not null "
                "order by _record nulls last limit 1",
                [file.file_id],
            ).fetchone()
            where = f"record {record}" + (f" (line {line})" if line else "")
            _reject(file, spec, f"{file.load.rows_rejected} record(s) break the spec (on_bad_row: reject_file); the first, {where}: {reason}")


def _reject(file: _File, spec: SourceSpec, reason: str) -> None:
    load = file.load
    load.status = "rejected_file"
    load.reason = f"{load.source_file}: {reason}"
    if not load.rows_read and file.local is not None and file.scan is not None:
        has_header = spec.format.header and spec.format.type in ("csv", "xlsx")
        load.rows_read = count_data_lines(file.local, has_header) if spec.format.type != "parquet" else 0
    load.rows_rejected, load.rows_loaded, load.rows_duplicate, load.rows_key_conflict = load.rows_read, 0, 0, 0


# --- writing --------------------------------------------------------------------------------


def _write(
    conn: duckdb.DuckDBPyConnection, spec: SourceSpec, files: list[_File], extras: list[str], result: LoadResult, loaded_at: datetime
) -> None:
    """Replace the export days' rows and rejects and add the manifest entries, in one transaction."""
    table = f"{RAW_SCHEMA}.{quote_identifier(spec.table_name)}"
    names = [quote_identifier(c.name) for c in spec.columns] + [quote_identifier(name) for name in extras]
    loaded = [f.file_id for f in files if f.load.status == "loaded" and f.staged is not None]
    rejected = any(f.load.rows_rejected for f in files if f.load.status == "loaded")
    conn.execute("begin transaction")
    try:
        for name in extras:
            conn.execute(f"alter table {table} add column if not exists {quote_identifier(name)} varchar")
        conn.execute(
            f"delete from {table} where _export_date between ? and ? and not list_contains(?, _export_date)",
            [result.start, result.end, result.deferred_days],
        )
        conn.execute(
            f"""
            insert into {table} ({", ".join(names)}, _export_date, _source_file, _loaded_at)
            select {", ".join("t." + n for n in names)}, f.export_date, f.source_file, ?
            from _typed t join _files f using (_file_id)
            where t._errors is null and list_contains(?, t._file_id)
            -- no order by: the insert keeps _typed's order (file, then record: DuckDB preserves
            -- insertion order), and sorting 18M records first ran out of the load's memory bound
            """,
            [loaded_at, loaded],
        )
        conn.execute(
            f"delete from {RAW_SCHEMA}.{REJECTS_TABLE} where source = ? and object = ? "
            "and export_date between ? and ? and not list_contains(?, export_date)",
            [spec.source, spec.object, result.start, result.end, result.deferred_days],
        )
        if rejected:
            conn.execute(
                f"""
                insert into {RAW_SCHEMA}.{REJECTS_TABLE} (load_id, source, object, export_date, source_file, record_number,
                    line_number, reason, raw_record, rejected_at, column_names)
                select ?, ?, ?, f.export_date, f.source_file, t._record, t._line, t._errors, t._raw, ?, t._error_columns
                from _typed t join _files f using (_file_id)
                where t._errors is not null and list_contains(?, t._file_id)
                order by t._file_id, t._record
                """,
                [result.load_id, spec.source, spec.object, loaded_at, loaded],
            )
        _write_manifest(conn, spec, result, loaded_at)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise


def _write_manifest(conn: duckdb.DuckDBPyConnection, spec: SourceSpec, result: LoadResult, loaded_at: datetime) -> None:
    rows = [
        (
            result.load_id, spec.source, spec.object, f.export_date, f.source_file, f.sha256, f.size_bytes,
            f.status, f.reason, f.rows_read, f.rows_loaded, f.rows_rejected, loaded_at,
            f.rows_duplicate, f.rows_key_conflict, f.duplicate_of, "; ".join(f.notes) or None,
        )
        for f in result.files
    ]
    _insert_rows(
        conn,
        f"{RAW_SCHEMA}.{MANIFEST_TABLE}",
        ["load_id", "source", "object", "export_date", "source_file", "sha256", "size_bytes", "status", "reason",
         "rows_read", "rows_loaded", "rows_rejected", "loaded_at", "rows_duplicate", "rows_key_conflict",
         "duplicate_of", "notes"],
        rows,
    )


def _insert_rows(conn: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Insert many rows in few statements (DuckDB's executemany runs one statement per row)."""
    names = ", ".join(quote_identifier(c) for c in columns)
    if len(rows) > FRAME_INSERT_MIN_ROWS:  # one scan of a registered frame beats binding thousands of parameters
        import pandas as pd

        conn.register("_rows_to_insert", pd.DataFrame(rows, columns=columns).astype(object))
        try:
            conn.execute(f"insert into {table} ({names}) select {names} from _rows_to_insert")
        finally:
            conn.unregister("_rows_to_insert")
        return
    placeholders = "(" + ", ".join("?" for _ in columns) + ")"
    for first in range(0, len(rows), INSERT_BATCH):
        batch = rows[first:first + INSERT_BATCH]
        conn.execute(
            f"insert into {table} ({names}) values {', '.join(placeholders for _ in batch)}",
            [value for row in batch for value in row],
        )
