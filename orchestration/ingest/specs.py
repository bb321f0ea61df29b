"""Declarative source specs: one YAML file per export object says how to read it and what it holds.

A spec names the export's format, maps the export's column names to the warehouse's canonical
columns with their types and rules, and gives the primary key, the column that orders record
versions and what to do with bad input. The ingestion asset, its checks and its raw table are all
derived from it. See docs/sources.md for every key.
"""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

SPECS_DIR = Path(__file__).resolve().parent.parent / "source_specs"
CATALOG_DIR = Path(__file__).resolve().parent.parent / "source_specs_catalog"
SPECS_ENV = "SALESOPS_SOURCE_SPECS"

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
SUPPORTED_TYPES = re.compile(
    r"^(varchar|integer|bigint|double|boolean|date|timestamp|decimal\((\d{1,2}),(\d{1,2})\))$"
)
FORMAT_TYPES = ("csv", "jsonl", "parquet", "json", "xlsx")
BAD_ROW_POLICIES = ("reject_row", "reject_file")
RULE_POLICIES = ("reject", "warn")
KEY_CONFLICT_POLICIES = ("reject_row", "keep")
SCHEMA_DRIFT_POLICIES = ("ignore", "add", "fail")
DAY_FILES_POLICIES = ("all", "latest")
DEFAULT_MAX_LINE_SIZE = 2_097_152

_SPEC_KEYS = {
    "source", "object", "description", "file_pattern", "format", "primary_key", "updated_at", "columns",
    "on_bad_row", "on_rule_violation", "on_key_conflict", "on_schema_drift", "day_files", "settle_seconds",
}
_COLUMN_KEYS = {
    "name", "source", "aliases", "type", "required", "range", "values", "format", "on_rule_violation", "description", "default",
}


class SpecError(ValueError):
    """A source spec that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical warehouse column and where it comes from in the export."""

    name: str
    source: str
    type: str
    required: bool = False
    value_range: tuple[float | None, float | None] | None = None  # numeric columns: [min, max]
    allowed_values: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()  # other names the export has used for this column
    date_range: tuple[str | None, str | None] | None = None  # date/timestamp columns: ISO [min, max]
    formats: tuple[str, ...] | None = None  # strptime format(s) overriding the file format's
    on_rule_violation: str = "reject"
    description: str = ""
    default: str | None = None  # varchar columns: the text loaded when the export has no value (or no such column)

    @property
    def export_names(self) -> tuple[str, ...]:
        """The export column names this column is read from, in order of preference."""
        return (self.source, *self.aliases)

    @property
    def has_rules(self) -> bool:
        return bool(self.value_range or self.allowed_values or self.date_range)


@dataclass(frozen=True)
class FormatSpec:
    """How the export files are written."""

    type: str
    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    encoding: str = "utf-8"
    header: bool = True
    decimal_separator: str = "."
    thousands_separator: str | None = None
    date_format: str | tuple[str, ...] = "%Y-%m-%d"
    timestamp_format: str | tuple[str, ...] = "%Y-%m-%d %H:%M:%S"
    true_values: tuple[str, ...] | None = None
    false_values: tuple[str, ...] | None = None
    null_values: tuple[str, ...] = ()
    max_line_size: int = DEFAULT_MAX_LINE_SIZE
    records_path: str = "$"
    sheet: str | None = None

    @property
    def date_formats(self) -> tuple[str, ...]:
        return _as_tuple(self.date_format)

    @property
    def timestamp_formats(self) -> tuple[str, ...]:
        return _as_tuple(self.timestamp_format)

    @property
    def native_types(self) -> bool:
        """Whether values can arrive already typed (Parquet columns, Excel cells, JSON numbers)."""
        return self.type in ("parquet", "xlsx", "json", "jsonl")


@dataclass(frozen=True)
class SourceSpec:
    """Everything ingestion needs to know about one export object."""

    source: str
    object: str
    description: str
    file_pattern: str
    format: FormatSpec
    primary_key: tuple[str, ...]
    updated_at: str | None
    columns: tuple[ColumnSpec, ...]
    on_bad_row: str = "reject_row"
    on_rule_violation: str = "reject"
    on_key_conflict: str = "reject_row"
    on_schema_drift: str = "ignore"
    day_files: str = "all"
    settle_seconds: float = 0
    path: Path | None = field(default=None, compare=False)

    @property
    def table_name(self) -> str:
        """Raw table name inside the ``raw`` schema, e.g. ``crm__opportunities``."""
        return f"{self.source}__{self.object}"

    @property
    def required_columns(self) -> tuple[ColumnSpec, ...]:
        return tuple(column for column in self.columns if column.required)

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


def spec_directories() -> list[Path]:
    """Where specs are read from: ``$SALESOPS_SOURCE_SPECS`` (directories separated by ``os.pathsep``), else the demo specs."""
    configured = os.environ.get(SPECS_ENV, "").strip()
    if not configured:
        return [SPECS_DIR]
    return [Path(part).expanduser() for part in configured.split(os.pathsep) if part.strip()]


def load_specs(directory: Path | str | list[Path | str] | None = None) -> list[SourceSpec]:
    """Every ``<source>/<object>.yaml`` spec below ``directory`` (default: :func:`spec_directories`), sorted by table name."""
    if directory is None:
        directories = spec_directories()
    elif isinstance(directory, (list, tuple)):
        directories = [Path(d) for d in directory]
    else:
        directories = [Path(directory)]
    paths = sorted(path for d in directories for path in Path(d).glob("*/*.yaml"))
    if not paths:
        where = ", ".join(str(d) for d in directories)
        raise SpecError(f"{where}: no source specs found (expected <source>/<object>.yaml files)")
    specs = [load_spec(path) for path in paths]
    seen: dict[str, Path | None] = {}
    for spec in specs:
        if spec.table_name in seen:
            raise SpecError(
                f"{spec.path}: raw table raw.{spec.table_name} is already defined by {seen[spec.table_name]}"
            )
        seen[spec.table_name] = spec.path
    return sorted(specs, key=lambda spec: spec.table_name)


def load_catalog(source: str | None = None) -> list[SourceSpec]:
    """The shipped vendor specs (Salesforce, HubSpot, SAP, Qualtrics, Zendesk), or those of one source."""
    specs = load_specs(CATALOG_DIR)
    return [spec for spec in specs if source is None or spec.source == source]


def load_spec(path: Path) -> SourceSpec:
    """Parse and validate one spec file; errors name the file and the offending key."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise SpecError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise SpecError(f"{path}: expected a mapping at the top level")
    return _parse_spec(document, Path(path))


def _parse_spec(document: dict[str, Any], path: Path) -> SourceSpec:
    unknown = sorted(set(document) - _SPEC_KEYS)
    if unknown:
        raise SpecError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_SPEC_KEYS))}")
    source = _identifier(document, "source", path)
    object_name = _identifier(document, "object", path)
    folder_source, file_object = path.parent.name, path.stem
    if (source, object_name) != (folder_source, file_object):
        raise SpecError(
            f"{path}: source/object ({source}/{object_name}) must match the file's place "
            f"({folder_source}/{file_object}.yaml)"
        )
    fmt = _parse_format(document.get("format"), path)
    on_rule_violation = _choice(document, "on_rule_violation", RULE_POLICIES, path)
    columns = _parse_columns(document.get("columns"), fmt, on_rule_violation, path)
    names = [column.name for column in columns]
    primary_key = tuple(_string_list(document, "primary_key", path))
    for key in primary_key:
        if key not in names:
            raise SpecError(f"{path}: primary_key column '{key}' is not among the columns")
    updated_at = document.get("updated_at")
    if updated_at is not None:
        if not isinstance(updated_at, str) or updated_at not in names:
            raise SpecError(f"{path}: updated_at column '{updated_at}' is not among the columns")
    settle = document.get("settle_seconds", 0)
    if not isinstance(settle, (int, float)) or isinstance(settle, bool) or settle < 0:
        raise SpecError(f"{path}: settle_seconds must be a number of seconds >= 0, got {settle!r}")
    return SourceSpec(
        source=source,
        object=object_name,
        description=str(document.get("description", "")),
        file_pattern=_file_pattern(document, path),
        format=fmt,
        primary_key=primary_key,
        updated_at=updated_at,
        columns=columns,
        on_bad_row=_choice(document, "on_bad_row", BAD_ROW_POLICIES, path),
        on_rule_violation=on_rule_violation,
        on_key_conflict=_choice(document, "on_key_conflict", KEY_CONFLICT_POLICIES, path),
        on_schema_drift=_choice(document, "on_schema_drift", SCHEMA_DRIFT_POLICIES, path),
        day_files=_choice(document, "day_files", DAY_FILES_POLICIES, path),
        settle_seconds=settle,
        path=path,
    )


def _file_pattern(document: dict[str, Any], path: Path) -> str:
    pattern = _required_string(document, "file_pattern", path)
    if "/" in pattern or "\\" in pattern or pattern.startswith(".") or "\x00" in pattern:
        raise SpecError(
            f"{path}: file_pattern must name files inside the export-day folder (no '/', '\\' or leading '.'), "
            f"got {pattern!r}"
        )
    return pattern


def _parse_format(raw: Any, path: Path) -> FormatSpec:
    if not isinstance(raw, dict) or "type" not in raw:
        raise SpecError(f"{path}: format must be a mapping with a 'type' ({', '.join(FORMAT_TYPES)})")
    if raw["type"] not in FORMAT_TYPES:
        raise SpecError(f"{path}: format.type must be one of {', '.join(FORMAT_TYPES)}, got {raw['type']!r}")
    known = set(FormatSpec.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SpecError(f"{path}: unknown format key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    values = dict(raw)
    for key in ("delimiter", "quote", "escape", "decimal_separator"):
        if key in values and (not isinstance(values[key], str) or len(values[key]) != 1):
            raise SpecError(f"{path}: format.{key} must be a single character, got {values[key]!r}")
    separator = values.get("thousands_separator")
    if separator is not None and (not isinstance(separator, str) or len(separator) != 1):
        raise SpecError(f"{path}: format.thousands_separator must be a single character, got {separator!r}")
    if separator is not None and separator == values.get("decimal_separator", "."):
        raise SpecError(f"{path}: format.thousands_separator and decimal_separator must differ")
    if "delimiter" in values and values["delimiter"] in ("\n", "\r", values.get("quote", '"')):
        raise SpecError(f"{path}: format.delimiter cannot be a newline or the quote character")
    encoding = values.get("encoding", "utf-8")
    try:
        codecs.lookup(str(encoding))
    except LookupError as error:
        raise SpecError(f"{path}: format.encoding {encoding!r} is not a known encoding") from error
    for key in ("date_format", "timestamp_format"):
        if key in values:
            values[key] = _formats(values[key], f"{path}: format.{key}")
    for key in ("true_values", "false_values", "null_values"):
        if key in values:
            items = values[key]
            if not isinstance(items, list) or not all(isinstance(v, (str, int, float)) for v in items):
                raise SpecError(f"{path}: format.{key} must be a list of texts, got {items!r}")
            if any(isinstance(v, bool) for v in items):
                raise SpecError(
                    f"{path}: format.{key} holds a YAML boolean; quote the texts (YAML reads unquoted yes, no, on, off, "
                    f"true and false as booleans), e.g. [\"Yes\", \"X\"]"
                )
            values[key] = tuple(_text(v) for v in items)
    if ("true_values" in values) != ("false_values" in values):
        raise SpecError(f"{path}: format.true_values and format.false_values go together")
    if "header" in values and not isinstance(values["header"], bool):
        raise SpecError(f"{path}: format.header must be true or false, got {values['header']!r}")
    size = values.get("max_line_size", DEFAULT_MAX_LINE_SIZE)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1024:
        raise SpecError(f"{path}: format.max_line_size must be a number of bytes >= 1024, got {size!r}")
    records_path = values.get("records_path", "$")
    if not isinstance(records_path, str) or not records_path.startswith("$"):
        raise SpecError(f"{path}: format.records_path must be a JSON path starting with '$', got {records_path!r}")
    return FormatSpec(**values)


def _parse_columns(raw: Any, fmt: FormatSpec, default_policy: str, path: Path) -> tuple[ColumnSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise SpecError(f"{path}: columns must be a non-empty list")
    columns = []
    for index, item in enumerate(raw):
        where = f"{path}: columns[{index}]"
        if not isinstance(item, dict):
            raise SpecError(f"{where}: expected a mapping with name, source, type")
        name = item.get("name")
        if not isinstance(name, str) or not IDENTIFIER.match(name) or name.startswith("_"):
            raise SpecError(f"{where}: name must be lower_snake_case (letters, digits, _), got {name!r}")
        where = f"{where} ({name})"
        unknown = sorted(set(item) - _COLUMN_KEYS)
        if unknown:
            raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_COLUMN_KEYS))}")
        source = item.get("source")
        if isinstance(source, int) and not isinstance(source, bool):
            source = str(source)
        if not isinstance(source, str) or not source.strip():
            raise SpecError(f"{where}: source must name the export's column")
        if not fmt.header and fmt.type in ("csv", "xlsx") and not source.isdigit():
            raise SpecError(f"{where}: without a header row, source must be the column's position (1, 2, ...)")
        aliases = item.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise SpecError(f"{where}: aliases must be a list of export column names")
        column_type = str(item.get("type", "")).replace(" ", "").lower()
        match = SUPPORTED_TYPES.match(column_type)
        if not match:
            raise SpecError(
                f"{where}: type {item.get('type')!r} is not supported; use varchar, integer, "
                "bigint, double, boolean, date, timestamp or decimal(p,s)"
            )
        if match.group(2) and not (1 <= int(match.group(2)) <= 38 and int(match.group(3)) <= int(match.group(2))):
            raise SpecError(f"{where}: decimal(p,s) needs 1 <= p <= 38 and s <= p, got {column_type}")
        required = item.get("required", False)
        if not isinstance(required, bool):
            raise SpecError(f"{where}: required must be true or false, got {required!r}")
        value_range, date_range = _range(item.get("range"), column_type, where)
        policy = item.get("on_rule_violation", default_policy)
        if policy not in RULE_POLICIES:
            raise SpecError(f"{where}: on_rule_violation must be one of {', '.join(RULE_POLICIES)}, got {policy!r}")
        formats = item.get("format")
        if formats is not None:
            if column_type not in ("date", "timestamp"):
                raise SpecError(f"{where}: format applies to date and timestamp columns only")
            formats = _as_tuple(_formats(formats, f"{where}: format"))
        default = _default(item, column_type, required, where)
        columns.append(
            ColumnSpec(
                name=name,
                source=source,
                type=column_type,
                required=required,
                value_range=value_range,
                allowed_values=_allowed_values(item.get("values"), where),
                aliases=tuple(aliases),
                date_range=date_range,
                formats=formats,
                on_rule_violation=policy,
                description=str(item.get("description", "")),
                default=default,
            )
        )
    names = [column.name for column in columns]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SpecError(f"{path}: column name(s) defined twice: {', '.join(duplicates)}")
    sources = [n for column in columns for n in column.export_names]
    duplicates = sorted({name for name in sources if sources.count(name) > 1})
    if duplicates:
        raise SpecError(f"{path}: export column(s) mapped twice: {', '.join(duplicates)}")
    return tuple(columns)


def _default(item: dict[str, Any], column_type: str, required: bool, where: str) -> str | None:
    """The text a varchar column takes when the export has no value for it (or lacks the column)."""
    if "default" not in item:
        return None
    value = item["default"]
    if column_type != "varchar":
        raise SpecError(f"{where}: default applies to varchar columns only, not {column_type}")
    if required:
        raise SpecError(f"{where}: a column with a default is never empty; drop required (a file without the column loads the default)")
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{where}: default must be a non-empty text (quote it), got {value!r}")
    return value


def _range(raw: Any, column_type: str, where: str) -> tuple[tuple | None, tuple | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, list) or len(raw) != 2 or raw == [None, None]:
        raise SpecError(f"{where}: range must be [min, max] (either may be null), got {raw!r}")
    if column_type in ("date", "timestamp"):
        bounds = []
        for value in raw:
            if value is None:
                bounds.append(None)
                continue
            if isinstance(value, (date, datetime)):
                value = value.isoformat()
            try:
                (date if column_type == "date" else datetime).fromisoformat(str(value))
            except ValueError as error:
                raise SpecError(f"{where}: range bounds of a {column_type} column must be ISO dates, got {value!r}") from error
            bounds.append(str(value))
        return None, (bounds[0], bounds[1])
    if column_type in ("varchar", "boolean"):
        raise SpecError(f"{where}: range applies to number, date and timestamp columns, not {column_type}")
    if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in raw):
        raise SpecError(f"{where}: range must be [min, max] with numbers or null, got {raw!r}")
    if raw[0] is not None and raw[1] is not None and raw[0] > raw[1]:
        raise SpecError(f"{where}: range minimum {raw[0]} is above its maximum {raw[1]}")
    return (raw[0], raw[1]), None


def _allowed_values(raw: Any, where: str) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw:
        raise SpecError(f"{where}: values must be a non-empty list, got {raw!r}")
    if any(isinstance(v, bool) for v in raw):
        raise SpecError(f"{where}: values holds a YAML boolean; quote the texts (YAML reads unquoted yes, no, on, off as booleans)")
    return tuple(_text(v) for v in raw)


def _formats(raw: Any, where: str) -> str | tuple[str, ...]:
    if isinstance(raw, str) and raw:
        return raw
    if isinstance(raw, list) and raw and all(isinstance(v, str) and v for v in raw):
        return tuple(raw)
    raise SpecError(f"{where}: expected a strptime format or a list of them, got {raw!r}")


def _as_tuple(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _choice(document: dict[str, Any], key: str, choices: tuple[str, ...], path: Path) -> str:
    value = document.get(key, choices[0])
    if value not in choices:
        raise SpecError(f"{path}: {key} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _identifier(document: dict[str, Any], key: str, path: Path) -> str:
    value = _required_string(document, key, path)
    if not IDENTIFIER.match(value):
        raise SpecError(f"{path}: {key} must be lower_snake_case, got {value!r}")
    return value


def _required_string(document: dict[str, Any], key: str, path: Path) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise SpecError(f"{path}: '{key}' is required and must be a string")
    return value


def _string_list(document: dict[str, Any], key: str, path: Path) -> list[str]:
    value = document.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise SpecError(f"{path}: '{key}' must be a non-empty list of column names")
    return value
