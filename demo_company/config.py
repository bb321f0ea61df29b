"""How big a demo company to generate, over which days, from which seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

HISTORY_MONTHS = 36
# Daily exports cover the month before the current one and the current one so far;
# everything earlier arrives as one initial export on the first export day, the way a company
# starting on the platform hands over its history. Each export day is one partition of every
# ingested object, and Dagster records every asset partition it materializes, so the number of
# export days, not the number of rows, sets how long the first load takes.
DAILY_EXPORT_MONTHS = 1


def _first_of_month_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class DemoConfig:
    """Generation settings; the same settings always give the same files.

    ``scale`` 1 is about 100,000 order lines over three years; volumes of every object grow with it.
    ``start`` (first simulated day) defaults to the first day of the month 36 months before ``end``;
    ``end`` (last export day) to yesterday. ``first_export`` (first export day: the initial export
    holds the latest version of everything before it) defaults to the first day of the month before
    ``end``'s, and never lies before ``start``.
    """

    seed: int = 42
    scale: float = 1.0
    start: date | None = None
    end: date | None = None
    first_export: date | None = None

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise ValueError(f"scale must be positive, got {self.scale}")
        first, last = self.window()
        if first > last:
            raise ValueError(f"start {first} is after end {last}")
        if self.first_export is not None and not first <= self.first_export <= last:
            raise ValueError(f"first export day {self.first_export} is outside {first} .. {last}")

    def window(self) -> tuple[date, date]:
        """The first simulated day and the last export day."""
        end = self.end or date.today() - timedelta(days=1)
        return self.start or _first_of_month_before(end, HISTORY_MONTHS), end

    def export_window(self) -> tuple[date, date]:
        """The first and last export day."""
        start, end = self.window()
        return self.first_export or max(start, _first_of_month_before(end, DAILY_EXPORT_MONTHS)), end
