"""Data-quality suites as code and the functions that run one (no Dagster).

Two engines, one report (:class:`QualityReport`): ``validate_frame`` runs Great Expectations 1.x
on a DataFrame (the KPI marts); ``check_rows`` evaluates the same kinds of rules in SQL inside the
warehouse, for tables too large to copy into Python (the raw tables, after each load). Great
Expectations takes many seconds to import, so it is imported on first use of ``validate_frame``:
loading the Dagster definitions, or checking raw tables, does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from data_quality.report import ExpectationFailure, QualityReport
from data_quality.sql_checks import check_rows

if TYPE_CHECKING:
    from data_quality.runner import validate_frame

__all__ = ["ExpectationFailure", "QualityReport", "check_rows", "validate_frame"]


def __getattr__(name: str):
    if name == "validate_frame":
        from data_quality import runner

        return runner.validate_frame
    raise AttributeError(f"module 'data_quality' has no attribute {name!r}")
