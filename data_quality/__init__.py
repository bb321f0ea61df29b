"""Data-quality suites as code and the function that runs one (Great Expectations 1.x, no Dagster).

Great Expectations takes many seconds to import, so it is imported on first use: loading the
Dagster definitions (which only need suite names) does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from data_quality.runner import ExpectationFailure, QualityReport, validate_frame

__all__ = ["ExpectationFailure", "QualityReport", "validate_frame"]


def __getattr__(name: str):
    if name in __all__:
        from data_quality import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'data_quality' has no attribute {name!r}")
