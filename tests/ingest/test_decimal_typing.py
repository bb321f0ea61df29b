"""The typing of decimal columns in DuckDB against the rule computed here in Python, on every text
built from pieces of numbers: a value parses when it has a number's form and no more significant
decimal places than the type keeps; otherwise it is NULL, and the error says which of the two it broke."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

import duckdb
import pytest

from orchestration.ingest.specs import ColumnSpec, FormatSpec
from orchestration.ingest.sql import error_expression, typed_expression

SIGNS = ["", "-", "+"]
WHOLES = ["", "0", "7", "12", "1234567"]
FRACTIONS = ["", "0", "00", "000", "5", "50", "05", "25", "250", "2500", "125", "1250", "0001"]
ENDS = ["", " ", "e2", "x"]


def texts(point: str, thousands: str | None) -> list[str]:
    """Signs, whole parts, a decimal point or none, fractions and endings in every combination, and a few odd ones."""
    built = {
        f" {sign}{whole}{mark}{fraction}{end}"
        for sign, whole, mark, fraction, end in itertools.product(SIGNS, WHOLES, ["", point], FRACTIONS, ENDS)
    }
    built |= {"", "   ", point, f"1{point}2{point}3", f"{point}{point}5", "1 2", "9" * 17 + f"{point}5"}
    if thousands:
        built |= {f"1{thousands}234{point}5", f"12{thousands}345{thousands}678{point}00", f"1{thousands}234{point}567"}
    return sorted(built)


def expected(text: str, point: str, thousands: str | None, precision: int, scale: int) -> tuple[Decimal | None, str | None]:
    """What the loader must make of ``text`` for decimal(precision, scale): the value, or the broken rule."""
    number = text.strip()
    if thousands:
        number = number.replace(thousands, "")
    if not number:
        return None, None
    if not re.fullmatch(rf"[+-]?([0-9]+({re.escape(point)}[0-9]*)?|{re.escape(point)}[0-9]+)", number):
        return None, "form"
    whole, _, fraction = number.lstrip("+-").partition(point)
    if len(fraction.rstrip("0")) > scale:
        return None, "decimals"
    value = Decimal(number.replace(point, "."))
    if len(whole.lstrip("0")) > precision - scale:
        return None, "form"  # out of the type's range: the cast fails as for a malformed number
    return value, None


@pytest.mark.parametrize("precision, scale", [(18, 2), (12, 0), (10, 3)])
@pytest.mark.parametrize("point, thousands", [(".", None), (",", ".")])
def test_a_decimal_parses_only_with_a_number_form_and_the_type_s_decimal_places(precision, scale, point, thousands) -> None:
    column = ColumnSpec(name="amount", source="Amount", type=f"decimal({precision},{scale})")
    fmt = FormatSpec(type="csv", decimal_separator=point, thousands_separator=thousands)
    values = texts(point, thousands)
    conn = duckdb.connect()
    conn.execute("create table stage (raw__amount varchar)")
    conn.executemany("insert into stage values (?)", [[v] for v in values])
    rows = conn.execute(
        f"""
        select raw__amount, typed, {error_expression(column, fmt, typed="typed")}
        from (select raw__amount, {typed_expression(column, fmt)} as typed from stage)
        """
    ).fetchall()
    assert len(rows) == len(values)
    for text, typed, error in rows:
        value, broken = expected(text, point, thousands, precision, scale)
        assert typed == value, text
        if broken == "decimals":
            assert error is not None and f"at most {scale} decimal places" in error, text
        elif broken == "form":
            assert error is not None and "decimal places" not in error, text
        else:
            assert error is None, text
