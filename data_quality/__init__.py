"""Data-quality suites as code and the function that runs one (Great Expectations 1.x, no Dagster)."""

from data_quality.runner import ExpectationFailure, QualityReport, validate_frame

__all__ = ["ExpectationFailure", "QualityReport", "validate_frame"]
