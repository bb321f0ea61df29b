"""The bad-input corpus: malformed or hostile export files and exactly what ingestion does with each.

Every case builds its file here, so the expected counts, lines and reasons follow from the text
of the test. Cases use a small purpose-built orders spec (tests/ingest/helpers.py); those that need
no spec of their own share one load (see SHARED).
"""

from __future__ import annotations

import codecs
import os
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.ingest.specs import SpecError
from tests.ingest.helpers import DAY, DAY_KEY, EVENTS_SPEC, HEADER, counts, csv_text, drop, load, order, rejects, rows

pytestmark = pytest.mark.bad_input

Q = '"'


# --- one shared load: cases on the default orders spec, each in its own export day -----------------
#
# These cases are delivered side by side and loaded in one call, as a real backfill would meet them:
# besides its own outcome, each shows that bad files do not disturb their neighbours. Record ids are
# unique per case, so no case sees another's records as duplicates.

SHARED: dict[str, list[tuple[str, str | bytes]]] = {
    "latin1_under_utf8": [("orders.csv", csv_text(order("L1", "Acme"), order("L2", "Café"), order("L3", "Bolt")).encode("latin-1"))],
    "utf8_bom": [("orders.csv", codecs.BOM_UTF8 + csv_text(order("B1", "Zoë")).encode())],
    "utf16_le_bom": [("orders.csv", csv_text(order("U1", "Ærø"), order("U2", "日本")).encode("utf-16"))],
    "utf16_be_bom": [("orders.csv", codecs.BOM_UTF16_BE + csv_text(order("BE1", "Ærø")).encode("utf-16-be"))],
    "wrong_delimiter": [("orders.csv", csv_text(order("W1").replace(",", ";"), header=HEADER.replace(",", ";")))],
    "decimal_comma_under_point": [("orders.csv", csv_text(order("DC1", amount=f"{Q}12,50{Q}"), order("DC2", amount="12.50")))],
    "too_many_decimals": [("orders.csv", csv_text(order("TD1", amount="10.005"), order("TD2", amount="10.500")))],
    "quoted_newlines": [("orders.csv", csv_text(
        order("QN1", note=f'{Q}first line\nsecond, with comma\nthird {Q}{Q}quoted{Q}{Q}{Q}'), order("QN2", qty="many")))],
    "crlf": [("orders.csv", csv_text(order("CR1"), order("CR2", qty="x"), newline="\r\n"))],
    "mixed_line_endings": [("orders.csv", HEADER + "\r\n" + order("MX1", note="n1") + "\r\n" + order("MX2", note="n2") + "\n"
                            + order("MX3", note="n3") + "\r\n")],
    "missing_required_column": [("orders.csv", csv_text("MR1,3,19.90,2024-02-28,2024-02-28 10:00:00,",
                                                        header="OrderId,Qty,Amount,OrderDate,ChangedAt,Note"))],
    "extra_column": [("orders.csv", csv_text(order("EX1") + ",EUR", header=HEADER + ",Currency"))],
    "renamed_optional_column": [("orders.csv", csv_text(order("RN1", note="hello"), header=HEADER.replace("Note", "Comment")))],
    "header_case": [("orders.csv", csv_text(order("HC1"), header=HEADER.replace("OrderId", " orderid ").replace("ChangedAt", "CHANGEDAT")))],
    "column_twice": [("orders.csv", csv_text(order("CT1") + ",4", header=HEADER + ",Qty"))],
    "wrong_types": [("orders.csv", csv_text(order("WT1", qty="abc"), order("WT2", amount="yes"),
                                            order("WT3", changed="28/02/2024 10:00"), order("WT4", customer="")))],
    "several_broken_columns": [("orders.csv", csv_text(order("SB1", qty="-1", day="2024-02-30")))],
    "impossible_dates": [("orders.csv", csv_text(order("ID1", day="2024-02-29"), order("ID2", day="2023-02-29"),
                                                 order("ID3", day="2024-04-31"), order("ID4", changed="2024-02-28 24:30:00")))],
    "dates_out_of_range": [("orders.csv", csv_text(order("DR1", day="1899-12-31"), order("DR2", day="2999-01-01"), order("DR3", day="2000-01-01")))],
    "negative_and_absurd_quantities": [("orders.csv", csv_text(
        order("NQ1", qty="-5"), order("NQ2", qty="99999999"), order("NQ3", qty="2.5"), order("NQ4", qty="99999999999"),
        order("NQ5", qty="10000"), order("NQ6", amount="-0.01"), order("NQ7", qty="2.0")))],
    "truncated_inside_a_quote": [("orders.csv", csv_text(order("TQ1"), order("TQ2"))
                                  + 'TQ3,Acme,1,2.00,2024-02-28,2024-02-28 10:00:00,"an unfinished no')],
    "truncated_missing_fields": [("orders.csv", csv_text(order("TF1")) + "TF2,Acme,3")],
    "unquoted_delimiter": [("orders.csv", csv_text(order("UD1", customer="Acme, Inc."), order("UD2", note=f"{Q}ok{Q}"), order("UD3")))],
    "very_wide_row": [("orders.csv", csv_text(order("VW1"), order("VW2") + ",x" * 1000, order("VW3")))],
    "very_long_line": [("orders.csv", csv_text(order("VL1"), order("VL2", note="x" * 3_000_000), order("VL3")))],
    "blank_lines": [("orders.csv", HEADER + "\n\n" + order("BL1") + "\n\n   \n" + order("BL2", qty="x") + "\n\n")],
    "empty_file": [("orders.csv", "")],
    "header_only": [("orders.csv", HEADER + "\n")],
    "exact_duplicate_in_a_file": [("orders.csv", csv_text(order("D1"), order("D2"), order("D1")))],
    "conflicting_records_in_a_file": [("orders.csv", csv_text(order("K1", qty="3"), order("K2"), order("K1", qty="4")))],
    "versions_in_a_file": [("orders.csv", csv_text(order("V1", qty="3"), order("V1", qty="4", changed="2024-02-28 11:00:00")))],
    "sql_injection_file_name": [("x'); drop table raw.shop__orders; --.csv", csv_text(order("SQ1"), order("SQ2", qty="x")))],
    "glob_characters_in_a_file_name": [("orders.csv", csv_text(order("G1"))), ("*[!x]?.csv", csv_text(order("G2")))],
    "path_traversal_file_name": [("orders..\\..\\..\\etc%2Fcron.d%2Fevil.csv", "garbage without a header\n"),
                                 ("..%2F..%2Fhidden.csv", csv_text(order("PT1")))],
}


@dataclass
class Outcome:
    """What the shared load did with one case's export day."""

    conn: object
    day: date
    files: list
    landing: Path
    quarantine: Path

    @property
    def counts(self) -> list[tuple]:
        return counts(self)

    @property
    def rejects(self) -> list[tuple]:
        return self.conn.execute(
            "select record_number, line_number, reason from raw._rejected_rows where export_date = ? order by source_file, record_number",
            [self.day],
        ).fetchall()

    def rows(self, columns: str = "order_id") -> list[tuple]:
        return self.conn.execute(f"select {columns} from raw.shop__orders where _export_date = ? order by all", [self.day]).fetchall()

    def landed(self, name: str = "orders.csv") -> Path:
        return self.landing / "shop" / "orders" / self.day.isoformat() / name

    def quarantined(self, name: str = "orders.csv") -> Path:
        return self.quarantine / "shop" / "orders" / self.day.isoformat() / name


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    import duckdb

    from orchestration.ingest.specs import load_spec
    from tests.ingest.helpers import ORDERS_SPEC

    home = tmp_path_factory.mktemp("shared_corpus")
    spec_path = home / "specs" / "shop" / "orders.yaml"
    spec_path.parent.mkdir(parents=True)
    spec_path.write_text(ORDERS_SPEC)
    spec = load_spec(spec_path)
    landing, quarantine = home / "landing", home / "quarantine"
    days = {name: date(2023, 1, 1) + timedelta(days=i) for i, name in enumerate(SHARED)}
    for name, files in SHARED.items():
        for file_name, content in files:
            drop(landing, spec, content, name=file_name, day=days[name].isoformat())
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    result = load(conn, spec, landing, min(days.values()), max(days.values()), quarantine)
    yield lambda case: Outcome(conn, days[case], [f for f in result.files if f.export_date == days[case]], landing, quarantine)
    conn.close()


# --- encodings ------------------------------------------------------------------------------


def test_latin1_file_with_a_latin1_spec_keeps_accents(conn, landing, make_spec) -> None:
    spec = make_spec(replace={"encoding: utf-8": "encoding: latin-1"})
    drop(landing, spec, csv_text(order("A1", "Café Müller"), order("A2", "Señor")), encoding="latin-1")
    result = load(conn, spec, landing)
    assert counts(result) == [("loaded", 2, 2, 0)]
    assert rows(conn, spec, "customer") == [("Café Müller",), ("Señor",)]


def test_latin1_file_under_a_utf8_spec_rejects_the_records_it_cannot_decode(shared) -> None:
    case = shared("latin1_under_utf8")
    assert case.counts == [("loaded", 3, 2, 1)]
    assert case.rejects == [
        (2, 3, "record: not valid utf-8 text; set format.encoding in the spec to the encoding the file is written in (e.g. latin-1 or cp1252)")
    ]
    assert case.rows() == [("L1",), ("L3",)]


def test_cp1252_file_is_transcoded_so_the_euro_sign_survives(conn, landing, make_spec) -> None:
    spec = make_spec(replace={"encoding: utf-8": "encoding: cp1252"})
    drop(landing, spec, csv_text(order("A1", "Prix €5 – Müller")), encoding="cp1252")
    assert counts(load(conn, spec, landing)) == [("loaded", 1, 1, 0)]
    assert rows(conn, spec, "customer") == [("Prix €5 – Müller",)]


def test_utf8_with_bom_matches_the_first_header_and_loads(shared) -> None:
    case = shared("utf8_bom")
    assert case.counts == [("loaded", 1, 1, 0)]
    assert case.rows("order_id, customer") == [("B1", "Zoë")]
    assert case.files[0].notes == []


def test_utf16_le_with_bom_is_read_as_utf16_despite_the_spec(shared) -> None:
    case = shared("utf16_le_bom")
    assert case.counts == [("loaded", 2, 2, 0)]
    assert case.rows("customer") == [("Ærø",), ("日本",)]
    assert case.files[0].notes == ["read as UTF-16 (the file starts with a UTF-16 byte-order mark; the spec says utf-8)"]


def test_utf16_big_endian_is_transcoded(shared) -> None:
    case = shared("utf16_be_bom")
    assert case.counts == [("loaded", 1, 1, 0)]
    assert case.rows("customer") == [("Ærø",)]


def test_utf8_file_under_a_latin1_spec_is_not_garbled(conn, landing, make_spec) -> None:
    spec = make_spec(replace={"encoding: utf-8": "encoding: latin-1"})
    drop(landing, spec, csv_text(order("A1", "Café")))
    result = load(conn, spec, landing)
    assert rows(conn, spec, "customer") == [("Café",)]
    assert result.files[0].notes == [
        "read as UTF-8: the file is valid UTF-8 with non-ASCII characters, which latin-1 would have garbled"
    ]


def test_bytes_invalid_in_the_declared_encoding_reject_the_file_with_the_line(conn, landing, quarantine, make_spec) -> None:
    spec = make_spec(replace={"encoding: utf-8": "encoding: cp1252"})
    drop(landing, spec, csv_text(order("A1"), order("A2")).encode() + b"A3,\x81bad,1,1,2024-01-01,2024-01-01 00:00:00,\n")
    result = load(conn, spec, landing, quarantine=quarantine)
    assert counts(result) == [("rejected_file", 3, 0, 3)]
    assert result.files[0].reason.endswith(
        "line 4: byte(s) 81 are not valid cp1252 (character maps to <undefined>); set format.encoding in the spec to the encoding the file is written in"
    )
    assert (quarantine / "shop" / "orders" / DAY_KEY / "orders.csv").exists()


# --- delimiters, quoting, numbers -------------------------------------------------------------


def test_wrong_delimiter_rejects_the_file_with_a_hint(shared) -> None:
    case = shared("wrong_delimiter")
    assert case.counts == [("rejected_file", 1, 0, 1)]
    reason = case.quarantined("orders.csv.reason.txt").read_text()
    assert 'required column(s) missing from the header: "OrderId" (for order_id), "Customer" (for customer)' in reason
    assert reason.rstrip().endswith("the header line has no ',' but has ';': is format.delimiter right?")
    assert case.quarantined().exists() and not case.landed().exists()


def test_semicolons_with_decimal_commas_and_thousands_points(conn, landing, make_spec) -> None:
    spec = make_spec(replace={'delimiter: ","': 'delimiter: ";", decimal_separator: ",", thousands_separator: "."'})
    text = "\n".join([HEADER.replace(",", ";"), "A1;Acme;1.200;1.234,50;2024-02-28;2024-02-28 10:00:00;x", "A2;Bolt;2;0,5;2024-02-28;2024-02-28 10:00:00;"]) + "\n"
    drop(landing, spec, text)
    assert counts(load(conn, spec, landing)) == [("loaded", 2, 2, 0)]
    assert rows(conn, spec, "order_id, quantity, amount") == [("A1", 1200, Decimal("1234.50")), ("A2", 2, Decimal("0.50"))]


def test_decimal_comma_under_a_decimal_point_spec_is_rejected_not_misread(shared) -> None:
    case = shared("decimal_comma_under_point")
    assert case.counts == [("loaded", 2, 1, 1)]
    assert case.rejects == [(1, 2, "column \"amount\" (export column \"Amount\"): expected a number with '.' as decimal separator, got '12,50'")]


def test_a_point_under_a_decimal_comma_spec_without_thousands_separator_is_ambiguous(conn, landing, make_spec) -> None:
    spec = make_spec(replace={'delimiter: ","': 'delimiter: ";", decimal_separator: ","'})
    drop(landing, spec, "\n".join([HEADER.replace(",", ";"), "A1;Acme;1;1.234;2024-02-28;2024-02-28 10:00:00;"]) + "\n")
    assert counts(load(conn, spec, landing)) == [("loaded", 1, 0, 1)]
    assert rejects(conn) == [(1, 2, "column \"amount\" (export column \"Amount\"): expected a number with ',' as decimal separator, got '1.234'")]


def test_more_decimal_places_than_the_type_keeps_is_rejected_not_rounded(shared) -> None:
    case = shared("too_many_decimals")
    assert case.counts == [("loaded", 2, 1, 1)]
    assert case.rejects == [(1, 2, "column \"amount\" (export column \"Amount\"): expected at most 2 decimal places (decimal(12,2)), got '10.005'")]
    assert case.rows("amount") == [(Decimal("10.50"),)]


def test_quoted_newlines_stay_in_the_value_and_lines_stay_right(shared) -> None:
    case = shared("quoted_newlines")
    assert case.counts == [("loaded", 2, 1, 1)]
    assert case.rows("note") == [('first line\nsecond, with comma\nthird "quoted"',)]
    assert case.rejects == [(2, 5, "column \"quantity\" (export column \"Qty\"): expected a whole number, got 'many'")]


def test_crlf_line_endings(shared) -> None:
    case = shared("crlf")
    assert case.counts == [("loaded", 2, 1, 1)]
    assert case.rejects == [(2, 3, "column \"quantity\" (export column \"Qty\"): expected a whole number, got 'x'")]


def test_mixed_line_endings_reject_the_file_with_the_readers_reason(shared) -> None:
    case = shared("mixed_line_endings")
    assert case.counts == [("rejected_file", 3, 0, 3)]
    assert "the csv reader cannot read the file: Invalid Input Error: " in case.files[0].reason


# --- missing, extra and renamed columns -------------------------------------------------------


def test_missing_required_column_quarantines_the_file(shared) -> None:
    case = shared("missing_required_column")
    assert case.counts == [("rejected_file", 1, 0, 1)]
    assert case.quarantined().read_text().startswith("OrderId,Qty")
    assert case.quarantined("orders.csv.reason.txt").read_text() == (
        f"{case.landed()}: required column(s) missing from the header: \"Customer\" (for customer)\n"
    )


def test_extra_column_is_ignored_and_noted_by_default(shared) -> None:
    case = shared("extra_column")
    assert case.counts == [("loaded", 1, 1, 0)]
    assert case.files[0].notes == ['1 column(s) not in the spec, not loaded: "Currency"']


def test_extra_column_is_added_to_the_table_with_policy_add(conn, landing, make_spec) -> None:
    spec = make_spec(extra="on_schema_drift: add\n")
    drop(landing, spec, csv_text(order("A1") + ",EUR", header=HEADER + ",Currency Code"), name="a.csv")
    drop(landing, spec, csv_text(order("A2")), name="b.csv")
    result = load(conn, spec, landing)
    assert counts(result) == [("loaded", 1, 1, 0), ("loaded", 1, 1, 0)]
    assert rows(conn, spec, "order_id, currency_code") == [("A1", "EUR"), ("A2", None)]
    assert result.files[0].notes == ['column(s) added to the table (on_schema_drift: add): "Currency Code" as currency_code']


def test_extra_column_rejects_the_file_with_policy_fail(conn, landing, make_spec) -> None:
    spec = make_spec(extra="on_schema_drift: fail\n")
    drop(landing, spec, csv_text(order("A1") + ",EUR", header=HEADER + ",Currency"))
    result = load(conn, spec, landing)
    assert counts(result) == [("rejected_file", 1, 0, 1)]
    assert result.files[0].reason.endswith('the columns differ from the spec (on_schema_drift: fail); not in the spec: "Currency"')


def test_renamed_column_is_found_through_its_alias(conn, landing, make_spec) -> None:
    spec = make_spec(replace={"source: Qty, type": "source: Qty, aliases: [Quantity, Units], type"})
    drop(landing, spec, csv_text(order("A1", qty="7"), header=HEADER.replace("Qty", "Units")))
    assert counts(load(conn, spec, landing)) == [("loaded", 1, 1, 0)]
    assert rows(conn, spec, "quantity") == [(7,)]


def test_renamed_optional_column_without_alias_loads_empty_and_says_so(shared) -> None:
    case = shared("renamed_optional_column")
    assert case.rows("order_id, note") == [("RN1", None)]
    assert case.files[0].notes == [
        'optional column(s) missing, loaded as empty: "Note" (for note)',
        '1 column(s) not in the spec, not loaded: "Comment"',
    ]


def test_header_in_other_case_and_spacing_matches_with_a_note(shared) -> None:
    case = shared("header_case")
    assert case.counts == [("loaded", 1, 1, 0)]
    assert case.files[0].notes == ['matched header(s) ignoring case and spaces: "orderid" for "OrderId", "CHANGEDAT" for "ChangedAt"']


def test_a_column_named_twice_in_the_header_rejects_the_file(shared) -> None:
    case = shared("column_twice")
    assert case.counts == [("rejected_file", 1, 0, 1)]
    assert case.files[0].reason.endswith('export column "Qty" (for quantity) appears more than once in the header (fields 3 and 8)')


# --- wrong values -----------------------------------------------------------------------------


def test_wrong_types_name_column_expectation_and_value(shared) -> None:
    case = shared("wrong_types")
    assert case.counts == [("loaded", 4, 0, 4)]
    assert case.rejects == [
        (1, 2, "column \"quantity\" (export column \"Qty\"): expected a whole number, got 'abc'"),
        (2, 3, "column \"amount\" (export column \"Amount\"): expected a number with '.' as decimal separator, got 'yes'"),
        (3, 4, "column \"changed_at\" (export column \"ChangedAt\"): expected a timestamp in the format %Y-%m-%d %H:%M:%S, got '28/02/2024 10:00'"),
        (4, 5, "column \"customer\" (export column \"Customer\"): required value is empty"),
    ]
    assert case.conn.execute("select column_names from raw._rejected_rows where export_date = ? order by record_number", [case.day]).fetchall() == [
        ("quantity",), ("amount",), ("changed_at",), ("customer",)
    ]


def test_timestamps_with_and_without_utc_offsets_in_one_file(conn, landing, make_spec) -> None:
    spec = make_spec(replace={'timestamp_format: "%Y-%m-%d %H:%M:%S"': 'timestamp_format: ["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S"]'})
    drop(landing, spec, csv_text(
        order("A1", changed="2024-02-28 10:00:00 +0100"), order("A2", changed="2024-02-28 10:00:00"),
        order("A3", changed="2024-02-28 10:00:00 -0530"), order("A4", changed="2024-02-28 10:00:00 CET"),
    ))
    assert counts(load(conn, spec, landing)) == [("loaded", 4, 3, 1)]
    assert rows(conn, spec, "order_id, changed_at") == [
        ("A1", datetime(2024, 2, 28, 9, 0)), ("A2", datetime(2024, 2, 28, 10, 0)), ("A3", datetime(2024, 2, 28, 15, 30))
    ]
    assert rejects(conn)[0][2] == (
        "column \"changed_at\" (export column \"ChangedAt\"): expected a timestamp in the format "
        "%Y-%m-%d %H:%M:%S %z or %Y-%m-%d %H:%M:%S, got '2024-02-28 10:00:00 CET'"
    )


def test_several_broken_columns_are_all_named(shared) -> None:
    case = shared("several_broken_columns")
    assert case.rejects == [(1, 2, (
        "column \"quantity\" (export column \"Qty\"): expected a value from 1 to 10000, got '-1'; "
        "column \"order_date\" (export column \"OrderDate\"): expected a date in the format %Y-%m-%d, got '2024-02-30'"
    ))]
    assert case.conn.execute("select column_names from raw._rejected_rows where export_date = ?", [case.day]).fetchone() == ("quantity, order_date",)


def test_impossible_dates_are_rejected_and_a_leap_day_is_not(shared) -> None:
    case = shared("impossible_dates")
    assert case.counts == [("loaded", 4, 1, 3)]
    assert [r[2].rsplit(", got ", 1)[1] for r in case.rejects] == ["'2023-02-29'", "'2024-04-31'", "'2024-02-28 24:30:00'"]
    assert case.rows("order_date") == [(date(2024, 2, 29),)]


def test_dates_outside_the_spec_range_are_rejected(shared) -> None:
    case = shared("dates_out_of_range")
    assert case.counts == [("loaded", 3, 1, 2)]
    assert [r[2] for r in case.rejects] == [
        "column \"order_date\" (export column \"OrderDate\"): expected a date from 2000-01-01 to 2100-12-31, got '1899-12-31'",
        "column \"order_date\" (export column \"OrderDate\"): expected a date from 2000-01-01 to 2100-12-31, got '2999-01-01'",
    ]


def test_negative_absurd_and_fractional_quantities_are_rejected(shared) -> None:
    case = shared("negative_and_absurd_quantities")
    assert case.counts == [("loaded", 7, 2, 5)]
    assert [r[2] for r in case.rejects] == [
        "column \"quantity\" (export column \"Qty\"): expected a value from 1 to 10000, got '-5'",
        "column \"quantity\" (export column \"Qty\"): expected a value from 1 to 10000, got '99999999'",
        "column \"quantity\" (export column \"Qty\"): expected a whole number, got '2.5'",
        "column \"quantity\" (export column \"Qty\"): expected a whole number, got '99999999999'",
        "column \"amount\" (export column \"Amount\"): expected a value of at least 0, got '-0.01'",
    ]
    assert case.rows("order_id, quantity") == [("NQ5", 10000), ("NQ7", 2)]


def test_not_a_number_and_infinity_are_not_numbers(conn, landing, make_spec) -> None:
    spec = make_spec(replace={'type: "decimal(12,2)"': "type: double"})
    drop(landing, spec, csv_text(order("A1", amount="NaN"), order("A2", amount="inf"), order("A3", amount="1e3")))
    assert counts(load(conn, spec, landing)) == [("loaded", 3, 1, 2)]
    assert rows(conn, spec, "amount") == [(1000.0,)]


def test_rules_can_warn_instead_of_reject(conn, landing, make_spec) -> None:
    spec = make_spec(extra="on_rule_violation: warn\n")
    drop(landing, spec, csv_text(order("A1", qty="-5"), order("A2", qty="x")))
    result = load(conn, spec, landing)
    assert counts(result) == [("loaded", 2, 1, 1)]
    assert rows(conn, spec, "order_id, quantity") == [("A1", -5)]
    assert result.files[0].notes == [
        "1 record(s) break a rule and were kept (on_rule_violation: warn), e.g. "
        "column \"quantity\" (export column \"Qty\"): expected a value from 1 to 10000, got '-5'"
    ]


def test_null_markers_and_yes_no_booleans_by_configuration(conn, landing, make_spec) -> None:
    spec = make_spec(
        replace={'timestamp_format: "%Y-%m-%d %H:%M:%S"}': 'timestamp_format: "%Y-%m-%d %H:%M:%S", null_values: ["NULL", "N/A"], true_values: ["X", "Yes"], false_values: ["", "No"]}',
                 "{name: note, source: Note, type: varchar}": "{name: note, source: Note, type: varchar}\n  - {name: rush, source: Rush, type: boolean}"},
    )
    drop(landing, spec, csv_text(
        order("A1", amount="NULL", note="N/A") + ",X", order("A2") + ",No", order("A3") + ",", order("A4") + ",maybe", header=HEADER + ",Rush"
    ))
    assert counts(load(conn, spec, landing)) == [("loaded", 4, 3, 1)]
    assert rows(conn, spec, "order_id, amount, note, rush") == [
        ("A1", None, None, True), ("A2", Decimal("19.90"), None, False), ("A3", Decimal("19.90"), None, False)
    ]
    assert rejects(conn) == [(4, 5, "column \"rush\" (export column \"Rush\"): expected 'X', 'Yes' (true) or '', 'No' (false), got 'maybe'")]


# --- record structure ---------------------------------------------------------------------------




# --- record structure ---------------------------------------------------------------------------


def test_truncated_last_line_inside_a_quote(shared) -> None:
    case = shared("truncated_inside_a_quote")
    assert case.counts == [("loaded", 3, 2, 1)]
    assert case.rejects == [(3, 4, (
        "record: expected 7 fields as in the header, found 6; field 7 (Note) and after are missing "
        "(the line may be cut short, or the delimiter is not ',')"
    ))]
    assert case.conn.execute("select raw_record from raw._rejected_rows where export_date = ?", [case.day]).fetchone() == (
        'TQ3,Acme,1,2.00,2024-02-28,2024-02-28 10:00:00,"an unfinished no',
    )


def test_truncated_last_line_with_missing_fields(shared) -> None:
    case = shared("truncated_missing_fields")
    assert case.counts == [("loaded", 2, 1, 1)]
    assert case.rejects == [(2, 3, (
        "record: expected 7 fields as in the header, found 3; field 4 (Amount) and after are missing "
        "(the line may be cut short, or the delimiter is not ',')"
    ))]


def test_unquoted_delimiter_in_a_value_is_a_record_with_too_many_fields(shared) -> None:
    case = shared("unquoted_delimiter")
    assert case.counts == [("loaded", 3, 2, 1)]
    assert case.rejects == [(1, 2, "record: expected 7 fields as in the header, found 8; a value may contain an unquoted ','")]


def test_very_wide_row(shared) -> None:
    case = shared("very_wide_row")
    assert case.counts == [("loaded", 3, 2, 1)]
    assert case.rejects == [(2, 3, "record: expected 7 fields as in the header, found 1007; a value may contain an unquoted ','")]


def test_very_long_line_over_the_limit(shared) -> None:
    case = shared("very_long_line")
    assert case.counts == [("loaded", 3, 2, 1)]
    assert case.rejects == [(2, 3, "record: longer than format.max_line_size (2097152 bytes); raise it in the spec if such records are expected")]


def test_very_long_line_under_a_raised_limit(conn, landing, make_spec) -> None:
    spec = make_spec(replace={"encoding: utf-8,": "encoding: utf-8, max_line_size: 8000000,"})
    drop(landing, spec, csv_text(order("A1"), order("A2", note="x" * 3_000_000), order("A3")))
    assert counts(load(conn, spec, landing)) == [("loaded", 3, 3, 0)]
    assert conn.execute("select length(note) from raw.shop__orders where order_id = 'A2'").fetchone() == (3_000_000,)


def test_blank_lines_are_not_records_but_a_line_of_spaces_is_rejected(shared) -> None:
    case = shared("blank_lines")
    assert case.counts == [("loaded", 3, 1, 2)]
    assert case.rejects == [
        (2, 5, "record: expected 7 fields as in the header, found 1; field 2 (Customer) and after are missing (the line may be cut short, or the delimiter is not ',')"),
        (3, 6, "column \"quantity\" (export column \"Qty\"): expected a whole number, got 'x'"),
    ]


def test_empty_file(shared) -> None:
    case = shared("empty_file")
    assert case.counts == [("loaded", 0, 0, 0)]
    assert case.files[0].notes == ["empty file (0 bytes)"]


def test_header_only_file(shared) -> None:
    case = shared("header_only")
    assert case.counts == [("loaded", 0, 0, 0)]
    assert case.files[0].notes == ["no records (header only)"]


def test_reject_file_policy_quarantines_a_file_with_one_bad_record(conn, landing, quarantine, make_spec) -> None:
    spec = make_spec(replace={"on_bad_row: reject_row": "on_bad_row: reject_file"})
    drop(landing, spec, csv_text(order("A1"), order("A2"), order("A3", qty="0")))
    result = load(conn, spec, landing, quarantine=quarantine)
    assert counts(result) == [("rejected_file", 3, 0, 3)]
    assert result.files[0].reason.endswith(
        "1 record(s) break the spec (on_bad_row: reject_file); the first, record 3 (line 4): "
        "column \"quantity\" (export column \"Qty\"): expected a value from 1 to 10000, got '0'"
    )
    assert rows(conn, spec) == [] and rejects(conn) == []
    assert (quarantine / "shop" / "orders" / DAY_KEY / "orders.csv.reason.txt").exists()


# --- duplicates and key conflicts ---------------------------------------------------------------


def test_exact_duplicate_record_within_a_file_is_kept_and_counted(shared) -> None:
    case = shared("exact_duplicate_in_a_file")
    assert case.counts == [("loaded", 3, 3, 0)]
    assert (case.files[0].rows_duplicate, case.files[0].rows_key_conflict) == (1, 0)
    assert case.conn.execute("select rows_duplicate from raw._load_manifest where export_date = ?", [case.day]).fetchone() == (1,)


def test_conflicting_records_for_one_key_and_version_within_a_file_are_rejected(shared) -> None:
    case = shared("conflicting_records_in_a_file")
    assert case.counts == [("loaded", 3, 1, 2)]
    reason = "primary key (order_id) = ('K1'): 2 different records in this file with the same changed_at (2024-02-28 10:00:00)"
    assert case.rejects == [(1, 2, reason), (3, 4, reason)]
    assert case.conn.execute("select distinct column_names from raw._rejected_rows where export_date = ?", [case.day]).fetchall() == [("order_id",)]


def test_versions_of_a_key_within_a_file_are_all_loaded(shared) -> None:
    case = shared("versions_in_a_file")
    assert case.counts == [("loaded", 2, 2, 0)]
    assert (case.files[0].rows_duplicate, case.files[0].rows_key_conflict) == (0, 0)


def test_conflicting_records_are_kept_and_counted_with_policy_keep(conn, landing, make_spec) -> None:
    spec = make_spec(extra="on_key_conflict: keep\n")
    drop(landing, spec, csv_text(order("A1", qty="3"), order("A1", qty="4")))
    result = load(conn, spec, landing)
    assert counts(result) == [("loaded", 2, 2, 0)]
    assert result.files[0].rows_key_conflict == 2


def test_duplicate_and_conflicting_keys_across_files_and_days(conn, landing, make_spec) -> None:
    spec = make_spec()
    drop(landing, spec, csv_text(order("A1"), order("B1", qty="5")), day="2024-03-01")
    assert counts(load(conn, spec, landing, date(2024, 3, 1))) == [("loaded", 2, 2, 0)]
    # the next day repeats A1 unchanged, and B1 with other values but the same changed_at
    drop(landing, spec, csv_text(order("A1"), order("B1", qty="6"), order("C1")), day="2024-03-02")
    result = load(conn, spec, landing, date(2024, 3, 2))
    assert counts(result) == [("loaded", 3, 3, 0)]
    assert (result.files[0].rows_duplicate, result.files[0].rows_key_conflict) == (1, 1)
    assert result.files[0].notes == [
        "1 record(s) repeat a record already loaded (kept; staging keeps one version)",
        "1 record(s) share key and changed_at with different values in another file (kept; the later export wins in staging)",
    ]
    assert rows(conn, spec, "order_id, quantity, _export_date") == [
        ("A1", 3, date(2024, 3, 1)), ("A1", 3, date(2024, 3, 2)), ("B1", 5, date(2024, 3, 1)), ("B1", 6, date(2024, 3, 2)),
        ("C1", 3, date(2024, 3, 2)),
    ]


# --- replay: content hashes -----------------------------------------------------------------------


def test_the_same_file_delivered_again_under_another_name_is_a_no_op(conn, landing, make_spec) -> None:
    spec = make_spec()
    first = drop(landing, spec, csv_text(order("A1"), order("A2")), name="orders.csv", day="2024-03-01")
    load(conn, spec, landing, date(2024, 3, 1))
    drop(landing, spec, first.read_bytes(), name="orders (1).csv", day="2024-03-02")
    result = load(conn, spec, landing, date(2024, 3, 2))
    assert counts(result) == [("duplicate", 0, 0, 0)]
    assert result.files[0].duplicate_of == str(first)
    assert result.files[0].reason.endswith(f"as {first}, loaded for export day 2024-03-01; not loaded again")
    assert rows(conn, spec, "order_id, _export_date") == [("A1", date(2024, 3, 1)), ("A2", date(2024, 3, 1))]
    # loading both days again changes nothing
    again = load(conn, spec, landing, date(2024, 3, 1), date(2024, 3, 2))
    assert counts(again) == [("loaded", 2, 2, 0), ("duplicate", 0, 0, 0)]
    assert rows(conn, spec, "order_id, _export_date") == [("A1", date(2024, 3, 1)), ("A2", date(2024, 3, 1))]


def test_the_same_file_twice_in_one_folder(conn, landing, make_spec) -> None:
    spec = make_spec()
    text = csv_text(order("A1"))
    drop(landing, spec, text, name="orders.csv")
    copy = drop(landing, spec, text, name="orders_copy.csv")
    result = load(conn, spec, landing)
    assert counts(result) == [("loaded", 1, 1, 0), ("duplicate", 0, 0, 0)]
    assert result.files[1].reason == f"{copy}: same content (sha256 {result.files[1].sha256[:12]}...) as {result.files[0].source_file}, in this load; not loaded again"


def test_a_corrected_re_export_replaces_that_days_rows(conn, landing, make_spec) -> None:
    spec = make_spec()
    path = drop(landing, spec, csv_text(order("A1", qty="3"), order("A2", qty="x")))
    load(conn, spec, landing)
    assert rows(conn, spec, "order_id, quantity") == [("A1", 3)] and len(rejects(conn)) == 1
    path.write_text(csv_text(order("A1", qty="30"), order("A2", qty="2"), order("A3")))
    result = load(conn, spec, landing)
    assert counts(result) == [("loaded", 3, 3, 0)]
    assert rows(conn, spec, "order_id, quantity") == [("A1", 30), ("A2", 2), ("A3", 3)]
    assert rejects(conn) == []
    assert conn.execute("select count(distinct sha256), count(*) from raw._load_manifest").fetchone() == (2, 2)


def test_only_the_latest_export_of_a_day_loads_with_day_files_latest(conn, landing, make_spec) -> None:
    spec = make_spec(extra="day_files: latest\n")
    old = drop(landing, spec, csv_text(order("A1", qty="3")), name="orders_v1.csv")
    new = drop(landing, spec, csv_text(order("A1", qty="4"), order("A2")), name="orders_v2.csv")
    os.utime(old, (time.time() - 60, time.time() - 60))
    result = load(conn, spec, landing)
    assert counts(result) == [("superseded", 0, 0, 0), ("loaded", 2, 2, 0)]
    assert result.files[0].reason == f"{old}: replaced by orders_v2.csv, the latest export of the day (day_files: latest)"
    assert rows(conn, spec, "order_id, quantity, _source_file") == [("A1", 4, str(new)), ("A2", 3, str(new))]


# --- files still being written ------------------------------------------------------------------


def test_a_file_still_being_written_leaves_its_day_as_it_was(conn, landing, make_spec) -> None:
    spec = make_spec()
    drop(landing, spec, csv_text(order("A1")), name="orders.csv")
    load(conn, spec, landing)
    partial = drop(landing, spec, csv_text(order("A2"))[:40], name="orders_2.csv.part")
    result = load(conn, spec, landing)
    assert counts(result) == [("deferred", 0, 0, 0), ("in_progress", 0, 0, 0)]
    assert result.deferred_days == [DAY]
    assert result.files[1].reason == f"{partial}: still being written (its name ends in .part: the export tool is still writing it); its day waits for it"
    assert rows(conn, spec) == [("A1",)]
    partial.write_text(csv_text(order("A2")))
    partial.rename(partial.with_name("orders_2.csv"))
    assert counts(load(conn, spec, landing)) == [("loaded", 1, 1, 0), ("loaded", 1, 1, 0)]
    assert rows(conn, spec) == [("A1",), ("A2",)]


def test_a_file_modified_within_settle_seconds_is_still_being_written(conn, landing, make_spec) -> None:
    spec = make_spec(extra="settle_seconds: 3600\n")
    drop(landing, spec, csv_text(order("A1")))
    result = load(conn, spec, landing)
    assert counts(result) == [("in_progress", 0, 0, 0)]
    assert "less than settle_seconds (3600 s)" in result.files[0].reason


# --- hostile names ----------------------------------------------------------------------------


@pytest.mark.security
def test_a_file_name_that_tries_sql_injection_is_only_a_name(shared) -> None:
    case = shared("sql_injection_file_name")
    path = case.landed("x'); drop table raw.shop__orders; --.csv")
    assert case.counts == [("loaded", 2, 1, 1)]
    assert case.rows("_source_file") == [(str(path),)]
    assert case.conn.execute("select source_file from raw._rejected_rows where export_date = ?", [case.day]).fetchall() == [(str(path),)]


@pytest.mark.security
def test_glob_characters_in_a_file_name_read_that_file_only(shared) -> None:
    case = shared("glob_characters_in_a_file_name")
    assert case.counts == [("loaded", 1, 1, 0), ("loaded", 1, 1, 0)]
    assert case.rows("order_id, _source_file") == [("G1", str(case.landed("orders.csv"))), ("G2", str(case.landed("*[!x]?.csv")))]


@pytest.mark.security
def test_a_column_name_that_tries_sql_injection_becomes_a_plain_column(conn, landing, make_spec) -> None:
    spec = make_spec(extra="on_schema_drift: add\n")
    evil = 'Region"); drop table raw.shop__orders; --'
    drop(landing, spec, csv_text(order("A1") + ",EMEA", header=HEADER + "," + f'"{evil.replace(Q, Q + Q)}"'))
    result = load(conn, spec, landing)
    assert counts(result) == [("loaded", 1, 1, 0)]
    assert rows(conn, spec, "order_id, region_drop_table_raw_shop_orders") == [("A1", "EMEA")]


@pytest.mark.security
def test_a_spec_source_name_with_quotes_is_quoted(conn, landing, make_spec) -> None:
    spec = make_spec(replace={"source: Note, type": "source: 'Note\"); drop table x; --', type"})
    drop(landing, spec, csv_text(order("A1") + ",hi", header=HEADER + ',"Note""); drop table x; --"'))
    load(conn, spec, landing)
    assert rows(conn, spec, "note") == [("hi",)]


@pytest.mark.security
def test_a_file_name_that_tries_path_traversal_stays_inside_the_quarantine(shared) -> None:
    case = shared("path_traversal_file_name")
    name = "orders..\\..\\..\\etc%2Fcron.d%2Fevil.csv"
    assert case.counts == [("rejected_file", 0, 0, 0)]  # the hidden file is not an export
    folder = case.quarantined().parent
    assert sorted(p.name for p in folder.iterdir()) == [name, f"{name}.reason.txt"]
    assert all(p.resolve().is_relative_to(case.quarantine.resolve()) for p in case.quarantine.rglob("*"))
    assert case.landed("..%2F..%2Fhidden.csv").exists() and case.rows() == []


@pytest.mark.security
def test_a_file_pattern_that_leaves_the_day_folder_is_refused(make_spec) -> None:
    with pytest.raises(SpecError, match=r"file_pattern must name files inside the export-day folder"):
        make_spec(replace={'file_pattern: "*.csv"': 'file_pattern: "../../*.csv"'})


# --- JSON, Parquet and Excel exports ---------------------------------------------------------------


def test_json_lines_with_bom_a_non_object_and_a_truncated_last_line(conn, landing, make_spec) -> None:
    spec = make_spec(EVENTS_SPEC)
    lines = [
        '{"id": "E1", "score": 9, "address": {"city": "Lyon"}, "at": "2024-03-01T10:00:00Z"}',
        '["E2", 3]',
        '{"id": "E3", "score": 11, "at": "2024-03-01T10:00:00Z"}',
        '{"id": "E4", "score": 5, "at": "2024-03-01T1',
    ]
    drop(landing, spec, codecs.BOM_UTF8 + "\n".join(lines).encode(), name="events.jsonl")
    result = load(conn, spec, landing)
    assert counts(result) == [("loaded", 4, 1, 3)]
    assert rows(conn, spec, "event_id, score, city") == [("E1", 9, "Lyon")]
    assert rejects(conn) == [
        (2, 2, "the line is JSON but not an object (array)"),
        (3, 3, "column \"score\" (export column \"score\"): expected a value from 0 to 10, got '11'"),
        (4, 4, "the line is not valid JSON"),
    ]


def test_json_lines_that_are_not_utf8_reject_the_file(conn, landing, make_spec) -> None:
    spec = make_spec(EVENTS_SPEC)
    drop(landing, spec, b'{"id": "E1", "at": "2024-03-01T10:00:00Z"}\n{"id": "\xe9", "at": "2024-03-01T10:00:00Z"}\n', name="events.jsonl")
    result = load(conn, spec, landing)
    assert counts(result) == [("rejected_file", 2, 0, 2)]
    assert result.files[0].reason.endswith("line 2: not valid UTF-8; JSON exports are UTF-8 — set format.encoding in the spec if this one is not")


def test_json_keys_not_in_the_spec_are_noted(conn, landing, make_spec) -> None:
    spec = make_spec(EVENTS_SPEC)
    drop(landing, spec, '{"id": "E1", "at": "2024-03-01T10:00:00Z", "device": "ios", "score": 2}\n', name="events.jsonl")
    result = load(conn, spec, landing)
    assert result.files[0].notes == ['1 key(s) not in the spec, not loaded: "device"']


SURVEY_SPEC = """
source: survey
object: responses
description: A survey tool's JSON document export.
file_pattern: "*.json"
format: {type: json, records_path: "$.responses", timestamp_format: "%Y-%m-%dT%H:%M:%SZ"}
primary_key: [response_id]
updated_at: recorded_at
columns:
  - {name: response_id, source: responseId, type: varchar, required: true}
  - {name: nps, source: "$.values.QID1", type: integer, range: [0, 10]}
  - {name: recorded_at, source: "$.values.recordedDate", type: timestamp, required: true}
"""


def test_a_json_document_that_is_cut_short_is_rejected_whole(conn, landing, make_spec) -> None:
    spec = make_spec(SURVEY_SPEC)
    drop(landing, spec, '{"responses": [{"responseId": "R1", "values": {"QID1": 9, "recordedDate": "2024-03-01T10:00:00Z"}}, {"respo', name="r.json")
    result = load(conn, spec, landing)
    assert counts(result) == [("rejected_file", 1, 0, 1)]
    assert result.files[0].reason.endswith("not a valid JSON document (it may be cut short or still being written)")


def test_a_json_document_whose_records_path_is_not_a_list(conn, landing, make_spec) -> None:
    spec = make_spec(SURVEY_SPEC)
    drop(landing, spec, '{"result": {"responses": []}}', name="r.json")
    result = load(conn, spec, landing)
    assert result.files[0].reason.endswith("format.records_path $.responses must point to a list of records, found nothing")


def test_a_json_document_with_a_bad_record(conn, landing, make_spec) -> None:
    spec = make_spec(SURVEY_SPEC)
    document = {"responses": [
        {"responseId": "R1", "values": {"QID1": 9, "recordedDate": "2024-03-01T10:00:00Z"}},
        {"responseId": "R2", "values": {"QID1": 12, "recordedDate": "2024-03-01T11:00:00Z"}},
        {"responseId": "R3", "values": {"recordedDate": "2024-03-01T12:00:00Z"}},
    ]}
    import json

    drop(landing, spec, json.dumps(document, indent=2), name="r.json")
    assert counts(load(conn, spec, landing)) == [("loaded", 3, 2, 1)]
    assert rows(conn, spec, "response_id, nps") == [("R1", 9), ("R3", None)]
    assert rejects(conn) == [(2, None, "column \"nps\" (export column \"$.values.QID1\"): expected a value from 0 to 10, got '12'")]


def test_parquet_with_native_types_and_a_bad_value(conn, landing, make_spec, tmp_path) -> None:
    spec = make_spec(replace={'file_pattern: "*.csv"': 'file_pattern: "*.parquet"', "format: {type: csv,": "format: {type: parquet,"})
    target = landing / "shop" / "orders" / DAY_KEY / "orders.parquet"
    target.parent.mkdir(parents=True)
    conn.execute(
        f"""copy (select * from (values
            ('A1', 'Acme', 3, 19.90::decimal(12,2), date '2024-02-28', timestamp '2024-02-28 10:00:00', null),
            ('A2', 'Bolt', -1, 5.00::decimal(12,2), date '2024-02-28', timestamp '2024-02-28 10:00:00.123456', 'x')
        ) as t("OrderId", "Customer", "Qty", "Amount", "OrderDate", "ChangedAt", "Note")) to '{target}' (format parquet)"""
    )
    assert counts(load(conn, spec, landing)) == [("loaded", 2, 1, 1)]
    assert rows(conn, spec, "order_id, quantity, amount, order_date, changed_at") == [
        ("A1", 3, Decimal("19.90"), date(2024, 2, 28), datetime(2024, 2, 28, 10, 0))
    ]
    assert rejects(conn) == [(2, None, "column \"quantity\" (export column \"Qty\"): expected a value from 1 to 10000, got '-1'")]


def test_a_file_that_is_not_parquet_is_rejected(conn, landing, make_spec) -> None:
    spec = make_spec(replace={'file_pattern: "*.csv"': 'file_pattern: "*.parquet"', "format: {type: csv,": "format: {type: parquet,"})
    drop(landing, spec, "OrderId,Customer\nA1,Acme\n", name="orders.parquet")
    result = load(conn, spec, landing)
    assert counts(result) == [("rejected_file", 0, 0, 0)]
    assert "not a readable Parquet file" in result.files[0].reason


def test_excel_workbook_with_typed_cells_and_a_bad_row(conn, landing, make_spec) -> None:
    from openpyxl import Workbook

    spec = make_spec(replace={'file_pattern: "*.csv"': 'file_pattern: "*.xlsx"', "format: {type: csv,": "format: {type: xlsx, sheet: Orders,"})
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Orders"
    sheet.append(HEADER.split(","))
    sheet.append(["A1", "Acme", 3, 19.9, datetime(2024, 2, 28), datetime(2024, 2, 28, 10, 0), "multi\nline"])
    sheet.append([])
    sheet.append(["A2", "Bolt", "three", 5, "2024-02-28", "2024-02-28 10:00:00", None])
    target = landing / "shop" / "orders" / DAY_KEY / "orders.xlsx"
    target.parent.mkdir(parents=True)
    workbook.save(target)
    assert counts(load(conn, spec, landing)) == [("loaded", 2, 1, 1)]
    assert rows(conn, spec, "order_id, quantity, amount, order_date, changed_at, note") == [
        ("A1", 3, Decimal("19.90"), date(2024, 2, 28), datetime(2024, 2, 28, 10, 0), "multi\nline")
    ]
    assert rejects(conn) == [(2, 4, "column \"quantity\" (export column \"Qty\"): expected a whole number, got 'three'")]


def test_an_excel_lock_file_means_the_workbook_is_open(conn, landing, make_spec) -> None:
    spec = make_spec(replace={'file_pattern: "*.csv"': 'file_pattern: "*.xlsx"', "format: {type: csv,": "format: {type: xlsx,"})
    drop(landing, spec, b"\x00" * 165, name="~$orders.xlsx")
    result = load(conn, spec, landing)
    assert counts(result) == [("in_progress", 0, 0, 0)]
    assert "editor's lock file" in result.files[0].reason


def test_a_broken_workbook_is_rejected(conn, landing, make_spec) -> None:
    spec = make_spec(replace={'file_pattern: "*.csv"': 'file_pattern: "*.xlsx"', "format: {type: csv,": "format: {type: xlsx,"})
    drop(landing, spec, b"PK\x03\x04 not really a zip", name="orders.xlsx")
    result = load(conn, spec, landing)
    assert counts(result)[0][0] == "rejected_file"
    assert "not a readable .xlsx workbook" in result.files[0].reason
