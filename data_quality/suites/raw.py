"""Rules for a raw table's freshly loaded rows, derived from its source spec's rules (checked in SQL:
:func:`data_quality.sql_checks.check_rows`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from data_quality.sql_checks import Between, ColumnsPresent, InSet, NotNull, Rule


def raw_table_rules(
    columns: Sequence[str],
    required: Sequence[str],
    ranges: Mapping[str, tuple[float | None, float | None]],
    allowed_values: Mapping[str, Sequence[str]],
) -> list[Rule]:
    """The table has the spec's columns; required values are present; values lie in their rules."""
    rules: list[Rule] = [ColumnsPresent(tuple(columns))]
    rules += [NotNull(name) for name in required]
    rules += [Between(name, low, high) for name, (low, high) in ranges.items()]
    rules += [InSet(name, tuple(values)) for name, values in allowed_values.items()]
    return rules
