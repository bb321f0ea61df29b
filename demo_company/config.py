"""How big a demo company to generate, over which days, from which seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

HISTORY_MONTHS = 36


@dataclass(frozen=True)
class DemoConfig:
    """Generation settings; the same settings always give the same files.

    ``scale`` 1 is about 100,000 order lines over three years; volumes of every object grow with it.
    ``start`` defaults to the first day of the month 36 months before ``end``; ``end`` to yesterday.
    """

    seed: int = 42
    scale: float = 1.0
    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise ValueError(f"scale must be positive, got {self.scale}")
        first, last = self.window()
        if first > last:
            raise ValueError(f"start {first} is after end {last}")

    def window(self) -> tuple[date, date]:
        """The first and last export day."""
        end = self.end or date.today() - timedelta(days=1)
        if self.start is not None:
            return self.start, end
        months = end.year * 12 + end.month - 1 - HISTORY_MONTHS
        return date(months // 12, months % 12 + 1, 1), end
