"""What a suite run reports, whichever engine evaluated it: a plain :class:`QualityReport`."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ExpectationFailure:
    """One expectation that did not hold, with what broke it."""

    expectation: str
    column: str | None
    unexpected_count: int | None
    examples: list[Any]
    observed: Any = None

    def describe(self) -> str:
        where = f"column {self.column}: " if self.column else ""
        count = f"{self.unexpected_count} unexpected value(s)" if self.unexpected_count is not None else f"observed {self.observed!r}"
        examples = f", e.g. {self.examples[:5]}" if self.examples else ""
        return f"{where}{self.expectation}: {count}{examples}"


@dataclass(frozen=True)
class QualityReport:
    """The outcome of one suite on one set of rows."""

    suite: str
    rows: int
    evaluated: int
    failures: list[ExpectationFailure] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: all {self.evaluated} expectations passed on {self.rows} rows"
        lines = [f"{self.suite}: {len(self.failures)} of {self.evaluated} expectations failed on {self.rows} rows"]
        return "\n".join(lines + [f"- {failure.describe()}" for failure in self.failures])


def plain(value: Any) -> Any:
    """JSON-friendly form of a reported value (numpy scalars, decimals as floats, timestamps as text)."""
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
