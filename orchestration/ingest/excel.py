"""Excel workbooks (.xlsx) as exports: one sheet becomes a UTF-8 CSV staging copy that DuckDB reads.

DuckDB's excel extension cannot be installed offline, so the sheet is read with openpyxl in
read-only mode and written out row for row (one CSV row per sheet row, empty rows kept, so a
record's CSV row number is its sheet row number). Typed cells are written as ISO text: dates as
YYYY-MM-DD, date-times as YYYY-MM-DD HH:MM:SS, numbers without thousands separators.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path


class WorkbookError(ValueError):
    """A workbook that cannot be read as the spec says."""


def xlsx_to_csv(source: Path, target: Path, sheet: str | None) -> list[str]:
    """Write ``sheet`` (default: the first) of ``source`` to ``target`` as CSV; returns the sheet names."""
    from openpyxl import load_workbook  # only Excel exports need it

    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zipfile, KeyError and XML errors for broken files
        raise WorkbookError(f"not a readable .xlsx workbook: {type(error).__name__}: {error}") from error
    try:
        names = list(workbook.sheetnames)
        if sheet is not None and sheet not in names:
            raise WorkbookError(f"the workbook has no sheet {sheet!r}; its sheets: {', '.join(names)}")
        worksheet = workbook[sheet] if sheet is not None else workbook[names[0]]
        with Path(target).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            width = None
            for row in worksheet.iter_rows(values_only=True):
                cells = [_cell_text(value) for value in row]
                if not any(cells):
                    writer.writerow([])  # an empty sheet row stays a (blank) line, so row numbers hold
                    continue
                if width is None:  # the first row with content fixes the width: trailing empty cells dropped
                    while cells and cells[-1] == "":
                        cells.pop()
                    width = len(cells)
                elif len(cells) > width and not any(cells[width:]):
                    cells = cells[:width]
                else:
                    cells += [""] * (width - len(cells))
                writer.writerow(cells)
        return names
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    return str(value)
