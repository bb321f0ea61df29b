"""The raw tables' spec check in SQL: every breaking row counted, examples in row order, as Great Expectations reports."""

from __future__ import annotations

import duckdb
import pytest

from data_quality import QualityReport, check_rows
from data_quality.report import ExpectationFailure
from data_quality.suites.raw import raw_table_rules

ROWS = [  # (day, id, amount, score, kind, _source_file)
    ("2024-01-01", "a", 10.50, 3, "NPS", "f1"),
    ("2024-01-02", None, -1.25, 11, "XYZ", "f2"),
    ("2024-01-02", "c", None, 0, None, "f2"),
    ("2024-01-02", None, 99999.99, -4, "CSAT", "f2"),
    ("2024-01-03", None, -5.00, 12, "XYZ", "f3"),  # outside the checked days
]
RULES = raw_table_rules(
    columns=["id", "amount", "score", "kind"],
    required=["id"],
    ranges={"amount": (0, 1000), "score": (0, 10)},
    allowed_values={"kind": ["NPS", "CSAT"]},
)


@pytest.fixture
def conn():
    conn = duckdb.connect()
    conn.execute("create table t (_export_date date, id varchar, amount decimal(18,2), score integer, kind varchar, _source_file varchar)")
    conn.executemany("insert into t values (?, ?, ?, ?, ?, ?)", ROWS)
    yield conn
    conn.close()


def check(conn, first: str, last: str, rules=RULES) -> QualityReport:
    return check_rows(conn, "t", "_export_date between ? and ?", [first, last], "raw.t", rules, hidden=("_source_file",))


def test_every_breaking_row_is_counted_and_shown_in_row_order(conn) -> None:
    report = check(conn, "2024-01-01", "2024-01-02")
    assert report == QualityReport(
        suite="raw.t",
        rows=4,
        evaluated=5,
        failures=[
            ExpectationFailure("expect_column_values_to_not_be_null", "id", 2, [None, None]),
            ExpectationFailure("expect_column_values_to_be_between", "amount", 2, [-1.25, 99999.99]),
            ExpectationFailure("expect_column_values_to_be_between", "score", 2, [11, -4]),
            ExpectationFailure("expect_column_values_to_be_in_set", "kind", 1, ["XYZ"]),
        ],
    )
    assert report.summary().splitlines()[0] == "raw.t: 4 of 5 expectations failed on 4 rows"


def test_rows_that_keep_the_rules_pass(conn) -> None:
    report = check(conn, "2024-01-01", "2024-01-01")
    assert (report.success, report.rows, report.evaluated) == (True, 1, 5)
    assert report.summary() == "raw.t: all 5 expectations passed on 1 rows"


def test_no_rows_pass(conn) -> None:
    assert check(conn, "2025-01-01", "2025-01-31") == QualityReport("raw.t", 0, 5, [])


def test_a_missing_column_reports_the_observed_columns_sorted_without_hidden_ones(conn) -> None:
    rules = raw_table_rules(columns=["id", "region"], required=[], ranges={}, allowed_values={})
    report = check(conn, "2024-01-01", "2024-01-03", rules)
    assert report.failures == [
        ExpectationFailure("expect_table_columns_to_match_set", None, None, [], ["_export_date", "amount", "id", "kind", "score"])
    ]


def test_examples_stop_at_ten_and_the_count_does_not(conn) -> None:
    conn.executemany("insert into t values ('2024-01-04', ?, ?, 1, 'NPS', 'f4')", [(f"n{i}", 2000 + i) for i in range(25)])
    (failure,) = check(conn, "2024-01-04", "2024-01-04").failures
    assert (failure.column, failure.unexpected_count, failure.examples) == ("amount", 25, [2000.0 + i for i in range(10)])
