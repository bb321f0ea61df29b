"""Run a list of Great Expectations 1.x expectations against a pandas DataFrame.

Callers (the Dagster asset checks) get a plain :class:`QualityReport`; nothing of GX leaks out,
so the orchestration layer does not depend on GX's object model.
"""

from __future__ import annotations

import os
import uuid

import pandas as pd

from data_quality.report import ExpectationFailure, QualityReport, plain

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import great_expectations as gx  # noqa: E402  (after disabling analytics)
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.expectations.expectation import Expectation  # noqa: E402


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
            examples=[plain(value) for value in item.result.get("partial_unexpected_list", []) or []],
            observed=plain(item.result.get("observed_value")),
        )
        for item in result.results
        if not item.success
    ]
    return QualityReport(suite=suite_name, rows=len(frame), evaluated=len(result.results), failures=failures)

