"""Finding export files in the landing folder and reading what can be known before loading them."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from orchestration.ingest.specs import SourceSpec

# Names a file has while an export tool is still writing it; such files are left for a later run.
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".filepart")


@dataclass(frozen=True)
class ExportFile:
    """One export file and the export day its folder names."""

    export_date: date
    path: Path


def discover_export_files(landing: Path, spec: SourceSpec, start: date, end: date) -> list[ExportFile]:
    """Files matching the spec's pattern in ``landing/<source>/<object>/<YYYY-MM-DD>/`` for days in [start, end]."""
    object_dir = landing / spec.source / spec.object
    if not object_dir.is_dir():
        return []
    found = []
    for day_dir in sorted(object_dir.iterdir()):
        export_date = _folder_date(day_dir)
        if export_date is None or not start <= export_date <= end:
            continue
        for path in sorted(day_dir.glob(spec.file_pattern)):
            if path.is_file() and not path.name.startswith(".") and not path.name.endswith(IN_PROGRESS_SUFFIXES):
                found.append(ExportFile(export_date, path))
    return found


def export_days(landing: Path, spec: SourceSpec) -> list[date]:
    """Every export day that has a folder for this object."""
    object_dir = landing / spec.source / spec.object
    if not object_dir.is_dir():
        return []
    return sorted(d for d in (_folder_date(p) for p in object_dir.iterdir()) if d is not None)


def _folder_date(folder: Path) -> date | None:
    if not folder.is_dir():
        return None
    try:
        return date.fromisoformat(folder.name)
    except ValueError:
        return None


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_csv_header(path: Path, spec: SourceSpec) -> list[str]:
    """The column names in a CSV export's header row (empty for an empty file)."""
    fmt = spec.format
    with path.open("r", encoding=_python_encoding(fmt.encoding), newline="") as handle:
        reader = csv.reader(handle, delimiter=fmt.delimiter, quotechar=fmt.quote)
        header = next(reader, [])
    if header:
        header[0] = header[0].lstrip("\ufeff")
    return [name.strip() for name in header]


def csv_record_lines(path: Path, spec: SourceSpec) -> list[int]:
    """Physical line (1-based) on which each data record of a CSV file starts, header excluded."""
    fmt = spec.format
    starts = []
    with path.open("r", encoding=_python_encoding(fmt.encoding), newline="") as handle:
        reader = csv.reader(handle, delimiter=fmt.delimiter, quotechar=fmt.quote)
        previous_end = 0
        for index, _record in enumerate(reader):
            if index > 0 or not fmt.header:
                starts.append(previous_end + 1)
            previous_end = reader.line_num
    return starts


def count_data_lines(path: Path, has_header: bool) -> int:
    """Non-empty physical lines of a file, less its header: a file's size when it cannot be parsed."""
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(lines - (1 if has_header else 0), 0)


def _python_encoding(encoding: str) -> str:
    return "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
