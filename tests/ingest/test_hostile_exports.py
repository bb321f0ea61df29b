"""Hostile exports: links that lead out of the landing folder, SQL in values and JSON keys.

Nothing outside the landing folder is read, and no name or value from an export changes a
statement: it is loaded as data, or its file is rejected with a reason naming it. (File names and
header names that try SQL injection or path traversal: tests/ingest/test_bad_input.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest.helpers import DAY_KEY, EVENTS_SPEC, HEADER, counts, csv_text, drop, load, order, rows

pytestmark = pytest.mark.security

HOSTILE = "x'); drop table raw.shop__orders; --"


def _secret_file(tmp_path: Path) -> Path:
    """A file outside the landing folder that looks like an export: it must never be read."""
    secret = tmp_path / "outside" / "orders.csv"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text(csv_text(order("SECRET1")), encoding="utf-8")
    return secret


def test_a_link_to_a_file_outside_the_landing_folder_is_refused_naming_both(conn, landing, quarantine, make_spec, tmp_path) -> None:
    spec = make_spec()
    secret = _secret_file(tmp_path)
    drop(landing, spec, csv_text(order("A1")), name="a.csv")
    link = landing / "shop" / "orders" / DAY_KEY / "b.csv"
    link.symlink_to(secret)
    result = load(conn, spec, landing, quarantine=quarantine)
    assert counts(result) == [("loaded", 1, 1, 0), ("rejected_file", 0, 0, 0)]
    reason = result.files[1].reason
    assert reason.startswith(f"{link}: {link} leads outside the landing folder {landing.resolve()} (to {secret.resolve()})")
    assert rows(conn, spec) == [("A1",)]
    assert link.is_symlink() and secret.read_text().count("SECRET1") == 1  # neither moved nor changed
    assert not quarantine.exists()


def test_a_day_folder_linked_outside_the_landing_folder_is_refused(conn, landing, make_spec, tmp_path) -> None:
    spec = make_spec()
    secret = _secret_file(tmp_path)
    day = landing / "shop" / "orders" / DAY_KEY
    day.parent.mkdir(parents=True)
    day.symlink_to(secret.parent, target_is_directory=True)
    result = load(conn, spec, landing)
    assert counts(result) == [("rejected_file", 0, 0, 0)]
    assert "leads outside the landing folder" in result.files[0].reason
    assert conn.execute("select count(*) from raw.shop__orders").fetchone() == (0,)


def test_a_dangling_link_is_refused_and_a_link_inside_the_landing_folder_is_read(conn, landing, make_spec) -> None:
    spec = make_spec()
    real = drop(landing, spec, csv_text(order("IN1")), name="orders.csv", day="2024-02-01")
    day = landing / "shop" / "orders" / DAY_KEY
    day.mkdir(parents=True)
    (day / "inside.csv").symlink_to(real)
    (day / "nowhere.csv").symlink_to(day / "missing.csv")
    result = load(conn, spec, landing)
    assert counts(result) == [("loaded", 1, 1, 0), ("rejected_file", 0, 0, 0)]
    assert "is a symbolic link that leads nowhere" in result.files[1].reason
    assert rows(conn, spec) == [("IN1",)]


def test_sql_and_quotes_in_values_are_loaded_as_the_exact_text(conn, landing, make_spec) -> None:
    spec = make_spec()
    note = '"' + HOSTILE.replace('"', '""') + ' "" \\ \'\' ; --"'
    drop(landing, spec, csv_text(order("A1", customer='"Acme"" ; --"', note=note), order(HOSTILE.replace(",", ""))))
    result = load(conn, spec, landing)
    assert counts(result) == [("loaded", 2, 2, 0)]
    assert rows(conn, spec, "order_id, customer, note") == [
        ("A1", 'Acme" ; --', HOSTILE + " \" \\ '' ; --"),
        (HOSTILE, "Acme", None),
    ]


def test_a_hostile_value_that_breaks_a_type_is_quoted_in_the_reject_reason(conn, landing, make_spec) -> None:
    spec = make_spec()
    drop(landing, spec, csv_text(order("A1", qty="1'); drop table raw._load_manifest; --")))
    result = load(conn, spec, landing)
    assert counts(result) == [("loaded", 1, 0, 1)]
    (reason,) = conn.execute("select reason from raw._rejected_rows").fetchone()
    assert reason == """column "quantity" (export column "Qty"): expected a whole number, got '1'); drop table raw._load_manifest; --'"""
    assert conn.execute("select count(*) from raw._load_manifest").fetchone() == (1,)


JSON_KEY = 'a"); drop table raw.app__events; --\'x'


@pytest.mark.parametrize("drift", ["add", "ignore"])
def test_hostile_json_keys_and_values_are_data(conn, landing, make_spec, drift: str) -> None:
    spec = make_spec(EVENTS_SPEC, extra=f"on_schema_drift: {drift}\n")
    record = {"id": "E1", "at": "2024-03-01T10:00:00Z", "address": {"city": HOSTILE}, JSON_KEY: 'v"1'}
    drop(landing, spec, json.dumps(record) + "\n", name="events.jsonl")
    result = load(conn, spec, landing)
    assert counts(result) == [("loaded", 1, 1, 0)]
    columns = [r[0] for r in conn.execute(
        "select column_name from information_schema.columns where table_name = 'app__events' order by ordinal_position"
    ).fetchall()]
    spec_columns = ["event_id", "score", "city", "at", "_export_date", "_source_file", "_loaded_at"]
    if drift == "add":
        assert columns == [*spec_columns, "a_drop_table_raw_app_events_x"]
        assert rows(conn, spec, "event_id, city, a_drop_table_raw_app_events_x") == [("E1", HOSTILE, 'v"1')]
    else:
        assert columns == spec_columns
        assert rows(conn, spec, "event_id, city") == [("E1", HOSTILE)]
        assert f'"{JSON_KEY}"' in result.files[0].notes[0]


def test_a_hostile_json_key_with_drift_fail_rejects_the_file_naming_the_key(conn, landing, make_spec) -> None:
    spec = make_spec(EVENTS_SPEC, extra="on_schema_drift: fail\n")
    drop(landing, spec, json.dumps({"id": "E1", "at": "2024-03-01T10:00:00Z", JSON_KEY: 1}) + "\n", name="events.jsonl")
    result = load(conn, spec, landing)
    assert counts(result) == [("rejected_file", 1, 0, 1)]
    assert result.files[0].reason.endswith(f'the records have key(s) not in the spec (on_schema_drift: fail): "{JSON_KEY}"')


def test_a_hostile_header_is_named_in_the_reason_when_the_file_is_rejected(conn, landing, make_spec) -> None:
    spec = make_spec(extra="on_schema_drift: fail\n")
    evil = "Region'); drop table raw.shop__orders; --"
    drop(landing, spec, csv_text(order("A1") + ",EMEA", header=HEADER + "," + evil))
    result = load(conn, spec, landing)
    assert counts(result) == [("rejected_file", 1, 0, 1)]
    assert result.files[0].reason.endswith(f'the columns differ from the spec (on_schema_drift: fail); not in the spec: "{evil}"')
    assert conn.execute("select count(*) from raw.shop__orders").fetchone() == (0,)
