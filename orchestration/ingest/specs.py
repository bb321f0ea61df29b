"""Declarative source specs: one YAML file per export object says how to read it and what it holds.

A spec names the export's format, maps the export's column names to the warehouse's canonical
columns with their types, and gives the primary key and the column that orders record versions.
The ingestion asset, its checks and its raw table are all derived from it. See docs/sources.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SPECS_DIR = Path(__file__).resolve().parent.parent / "source_specs"

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
SUPPORTED_TYPES = re.compile(
    r"^(varchar|integer|bigint|double|boolean|date|timestamp|decimal\(\d{1,2},\d{1,2}\))$"
)
FORMAT_TYPES = ("csv", "jsonl", "parquet")
BAD_ROW_POLICIES = ("reject_row", "reject_file")


class SpecError(ValueError):
    """A source spec that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical warehouse column and where it comes from in the export."""

    name: str
    source: str
    type: str
    required: bool = False
    value_range: tuple[float | None, float | None] | None = None  # checked on load, not enforced
    allowed_values: tuple[str, ...] | None = None  # checked on load, not enforced


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
    date_format: str = "%Y-%m-%d"
    timestamp_format: str = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class SourceSpec:
    """Everything ingestion needs to know about one export object."""

    source: str
    object: str
    description: str
    file_pattern: str
    format: FormatSpec
    primary_key: tuple[str, ...]
    updated_at: str
    columns: tuple[ColumnSpec, ...]
    on_bad_row: str = "reject_row"
    path: Path | None = field(default=None, compare=False)

    @property
    def table_name(self) -> str:
        """Raw table name inside the ``raw`` schema, e.g. ``crm__opportunities``."""
        return f"{self.source}__{self.object}"

    @property
    def required_columns(self) -> tuple[ColumnSpec, ...]:
        return tuple(column for column in self.columns if column.required)


def load_specs(directory: Path = SPECS_DIR) -> list[SourceSpec]:
    """Every ``<source>/<object>.yaml`` spec below ``directory``, sorted by table name."""
    paths = sorted(Path(directory).glob("*/*.yaml"))
    if not paths:
        raise SpecError(f"{directory}: no source specs found (expected <source>/<object>.yaml files)")
    specs = [load_spec(path) for path in paths]
    seen: dict[str, Path | None] = {}
    for spec in specs:
        if spec.table_name in seen:
            raise SpecError(
                f"{spec.path}: raw table raw.{spec.table_name} is already defined by {seen[spec.table_name]}"
            )
        seen[spec.table_name] = spec.path
    return sorted(specs, key=lambda spec: spec.table_name)


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
    source = _identifier(document, "source", path)
    object_name = _identifier(document, "object", path)
    folder_source, file_object = path.parent.name, path.stem
    if (source, object_name) != (folder_source, file_object):
        raise SpecError(
            f"{path}: source/object ({source}/{object_name}) must match the file's place "
            f"({folder_source}/{file_object}.yaml)"
        )
    columns = _parse_columns(document.get("columns"), path)
    names = [column.name for column in columns]
    primary_key = tuple(_string_list(document, "primary_key", path))
    for key in primary_key:
        if key not in names:
            raise SpecError(f"{path}: primary_key column '{key}' is not among the columns")
    updated_at = _required_string(document, "updated_at", path)
    if updated_at not in names:
        raise SpecError(f"{path}: updated_at column '{updated_at}' is not among the columns")
    on_bad_row = document.get("on_bad_row", "reject_row")
    if on_bad_row not in BAD_ROW_POLICIES:
        raise SpecError(f"{path}: on_bad_row must be one of {', '.join(BAD_ROW_POLICIES)}, got {on_bad_row!r}")
    return SourceSpec(
        source=source,
        object=object_name,
        description=str(document.get("description", "")),
        file_pattern=_required_string(document, "file_pattern", path),
        format=_parse_format(document.get("format"), path),
        primary_key=primary_key,
        updated_at=updated_at,
        columns=columns,
        on_bad_row=on_bad_row,
        path=path,
    )


def _parse_format(raw: Any, path: Path) -> FormatSpec:
    if not isinstance(raw, dict) or "type" not in raw:
        raise SpecError(f"{path}: format must be a mapping with a 'type' ({', '.join(FORMAT_TYPES)})")
    if raw["type"] not in FORMAT_TYPES:
        raise SpecError(f"{path}: format.type must be one of {', '.join(FORMAT_TYPES)}, got {raw['type']!r}")
    known = set(FormatSpec.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SpecError(f"{path}: unknown format key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    for key in ("delimiter", "quote", "escape", "decimal_separator"):
        if key in raw and len(str(raw[key])) != 1:
            raise SpecError(f"{path}: format.{key} must be a single character, got {raw[key]!r}")
    return FormatSpec(**raw)


def _parse_columns(raw: Any, path: Path) -> tuple[ColumnSpec, ...]:
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
        source = item.get("source")
        if not isinstance(source, str) or not source.strip():
            raise SpecError(f"{where} ({name}): source must name the export's column")
        column_type = str(item.get("type", "")).replace(" ", "").lower()
        if not SUPPORTED_TYPES.match(column_type):
            raise SpecError(
                f"{where} ({name}): type {item.get('type')!r} is not supported; use varchar, integer, "
                "bigint, double, boolean, date, timestamp or decimal(p,s)"
            )
        columns.append(
            ColumnSpec(
                name,
                source,
                column_type,
                bool(item.get("required", False)),
                _value_range(item.get("range"), f"{where} ({name})"),
                _allowed_values(item.get("values"), f"{where} ({name})"),
            )
        )
    names = [column.name for column in columns]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SpecError(f"{path}: column name(s) defined twice: {', '.join(duplicates)}")
    return tuple(columns)


def _value_range(raw: Any, where: str) -> tuple[float | None, float | None] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != 2 or not all(v is None or isinstance(v, (int, float)) for v in raw):
        raise SpecError(f"{where}: range must be [min, max] with numbers or null, got {raw!r}")
    return (raw[0], raw[1])


def _allowed_values(raw: Any, where: str) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw:
        raise SpecError(f"{where}: values must be a non-empty list, got {raw!r}")
    return tuple(str(v) for v in raw)


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
