"""Expectations for a raw table's freshly loaded rows, derived from its source spec's rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from great_expectations.expectations.expectation import Expectation


def raw_table_expectations(
    columns: Sequence[str],
    required: Sequence[str],
    ranges: Mapping[str, tuple[float | None, float | None]],
    allowed_values: Mapping[str, Sequence[str]],
) -> list[Expectation]:
    """The table has exactly the spec's columns; required values are present; values lie in their rules."""
    import great_expectations as gx  # slow to import: only when a suite is built

    expectations: list[Expectation] = [
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=False)
    ]
    expectations += [gx.expectations.ExpectColumnValuesToNotBeNull(column=name) for name in required]
    expectations += [
        gx.expectations.ExpectColumnValuesToBeBetween(column=name, min_value=low, max_value=high)
        for name, (low, high) in ranges.items()
    ]
    expectations += [
        gx.expectations.ExpectColumnValuesToBeInSet(column=name, value_set=list(values))
        for name, values in allowed_values.items()
    ]
    return expectations
