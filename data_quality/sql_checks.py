"""Evaluate a suite of column rules inside the database, in SQL, without reading the rows into Python.

For tables too large to copy into a DataFrame (the raw tables an ingestion step has just loaded):
one aggregate query counts every row that breaks each rule, and only for a rule that fails is a
second query run for its first ten offending values (in the table's row order). The report is the
one :func:`data_quality.validate_frame` gives for the same rules through Great Expectations: the
same expectation names, the same counts (nulls are not checked by range and value-set rules), the
observed column set sorted; the examples of a not-null failure are nulls (``None``).

The connection is DuckDB's (``execute(sql, params).fetchall()`` and ``.description``); the rows
are a table (``relation``: rows are reported in ``rowid`` order) restricted by a condition (``where`` with ``?`` parameters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from data_quality.report import ExpectationFailure, QualityReport, plain

EXAMPLES = 10  # as Great Expectations' partial_unexpected_count in validate_frame


class Rule(Protocol):
    expectation: str
    column: str | None


@dataclass(frozen=True)
class ColumnsPresent:
    """The rows have at least these columns (others may be there too)."""

    columns: tuple[str, ...]
    expectation = "expect_table_columns_to_match_set"
    column = None


@dataclass(frozen=True)
class NotNull:
    column: str
    expectation = "expect_column_values_to_not_be_null"

    def breaks(self, value: str) -> str:
        return f"{value} is null"


@dataclass(frozen=True)
class Between:
    """Non-null values lie in [low, high]; a missing bound is open."""

    column: str
    low: float | None
    high: float | None
    expectation = "expect_column_values_to_be_between"

    def breaks(self, value: str) -> str:
        outside = [f"{value} < {_number(self.low)}"] if self.low is not None else []
        outside += [f"{value} > {_number(self.high)}"] if self.high is not None else []
        return f"({' or '.join(outside)})" if outside else "false"


@dataclass(frozen=True)
class InSet:
    """Non-null values are one of ``values`` (compared as text)."""

    column: str
    values: tuple[str, ...]
    expectation = "expect_column_values_to_be_in_set"

    def breaks(self, value: str) -> str:
        listed = "[" + ", ".join(_literal(v) for v in self.values) + "]::varchar[]"
        return f"({value} is not null and not list_contains({listed}, {value}::varchar))"


def check_rows(
    conn, relation: str, where: str, params: Sequence[Any], suite: str, rules: Sequence[Rule], hidden: Sequence[str] = ()
) -> QualityReport:
    """Evaluate ``rules`` on the rows of table ``relation`` matching ``where``; every breaking row is counted.

    ``hidden`` columns (bookkeeping) are not part of the observed column set.
    """
    described = conn.execute(f"select * from {relation} limit 0").description
    observed = sorted(column[0] for column in described if column[0] not in hidden)
    value_rules = {index: rule for index, rule in enumerate(rules) if not isinstance(rule, ColumnsPresent)}
    counts = [f"count(*) filter (where {rule.breaks(_identifier(rule.column))})" for rule in value_rules.values()]
    rows, *broken = conn.execute(f"select count(*), {', '.join(counts) or '0'} from {relation} where {where}", list(params)).fetchone()
    broken_by_index = dict(zip(value_rules, broken))
    failures = []
    for index, rule in enumerate(rules):  # in the suite's order, as Great Expectations reports them
        if isinstance(rule, ColumnsPresent):
            if not set(rule.columns) <= set(observed):
                failures.append(ExpectationFailure(rule.expectation, None, None, [], observed))
        elif broken_by_index[index]:
            column = _identifier(rule.column)
            examples = conn.execute(
                f"select {column} from {relation} where ({where}) and {rule.breaks(column)} order by rowid limit {EXAMPLES}", list(params)
            ).fetchall()
            failures.append(ExpectationFailure(rule.expectation, rule.column, broken_by_index[index], [plain(v) for (v,) in examples]))
    return QualityReport(suite=suite, rows=rows, evaluated=len(rules), failures=failures)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _number(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(float(value))
