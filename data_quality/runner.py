"""Run a list of Great Expectations 1.x expectations against a pandas DataFrame.

Callers (the Dagster asset checks) get a plain :class:`QualityReport`; nothing of GX leaks out,
so the orchestration layer does not depend on GX's object model.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import great_expectations as gx  # noqa: E402  (after disabling analytics)
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.expectations.expectation import Expectation  # noqa: E402


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
    """The outcome of one suite on one frame."""

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


def validate_frame(frame: pd.DataFrame, suite_name: str, expectations: list[Expectation]) -> QualityReport:
    """Validate ``frame`` against ``expectations`` in an ephemeral GX context."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    name = f"{suite_name}-{uuid.uuid4().hex[:8]}"
    batch_definition = (
        context.data_sources.add_pandas(name).add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
    )
    suite = context.suites.add(gx.ExpectationSuite(name=name))
    for expectation in expectations:
        suite.add_expectation(expectation.copy(deep=True))
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 10}
    )
    failures = [
        ExpectationFailure(
            expectation=item.expectation_config.type,
            column=item.expectation_config.kwargs.get("column"),
            unexpected_count=item.result.get("unexpected_count"),
            examples=[_plain(value) for value in item.result.get("partial_unexpected_list", []) or []],
            observed=_plain(item.result.get("observed_value")),
        )
        for item in result.results
        if not item.success
    ]
    return QualityReport(suite=suite_name, rows=len(frame), evaluated=len(result.results), failures=failures)


def _plain(value: Any) -> Any:
    """JSON-friendly form of a value GX reports (numpy scalars, timestamps)."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
