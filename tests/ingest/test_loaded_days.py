"""What an ingestion step reports on the export days it loaded (spec check, count, preview), and its memory bound."""

from __future__ import annotations

from datetime import date

from data_quality.report import ExpectationFailure
from orchestration.ingest import load_export_days
from orchestration.ingest.loaded_days import examine_loaded_days
from orchestration.ingest.loader import JSON_MEMORY_FACTOR, MB
from tests.ingest.helpers import DAY, EVENTS_SPEC, csv_text, drop, load, order

WARNED_QUANTITY = {"- {name: quantity, source: Qty, type: integer, required: true, range: [1, 10000]}":
                   "- {name: quantity, source: Qty, type: integer, required: true, range: [1, 10000], on_rule_violation: warn}"}


def test_rows_kept_with_a_warning_fail_the_spec_check_with_every_one_counted(conn, landing, make_spec) -> None:
    spec = make_spec(replace=WARNED_QUANTITY)
    drop(landing, spec, csv_text(order("W1", qty="0"), order("W2", qty="5"), order("W3", qty="20000"), order("W4", qty="-3")))
    result = load(conn, spec, landing)
    assert result.rows_loaded == 4

    loaded = examine_loaded_days(conn, spec, DAY, DAY, preview_rows=2)

    assert loaded.rows == 4
    assert loaded.report.evaluated == 1 + 5 + 2  # the columns; 5 required; ranges of quantity and amount
    assert loaded.report.failures == [ExpectationFailure("expect_column_values_to_be_between", "quantity", 3, [0, 20000, -3])]
    assert list(loaded.preview["order_id"]) == ["W1", "W2"]
    assert "_source_file" not in loaded.preview.columns and "_loaded_at" not in loaded.preview.columns


def test_other_export_days_are_not_checked(conn, landing, make_spec) -> None:
    spec = make_spec(replace=WARNED_QUANTITY)
    drop(landing, spec, csv_text(order("E1", qty="0")))
    load(conn, spec, landing)
    loaded = examine_loaded_days(conn, spec, date(2024, 3, 2), date(2024, 3, 9))
    assert (loaded.rows, loaded.report.success, loaded.preview) == (0, True, None)


def test_a_load_bounds_duckdb_memory_and_leaves_room_for_the_largest_json_file(conn, landing, make_spec) -> None:
    csv_spec = make_spec()
    drop(landing, csv_spec, csv_text(order("M1")))
    load_export_days(conn, csv_spec, landing, DAY, DAY, memory_limit_mb=64)
    assert conn.execute("select current_setting('memory_limit')").fetchone()[0] == "64.0 MiB"

    events = make_spec(EVENTS_SPEC)
    line = '{"id": "e%d", "score": 3, "at": "2024-03-01T10:00:00Z", "pad": "%s"}\n'
    small, large = "".join(line % (i, "") for i in range(3)), "".join(line % (i, "x" * 1000) for i in range(1000))
    drop(landing, events, small, name="a.jsonl")
    drop(landing, events, large, name="b.jsonl")
    load_export_days(conn, events, landing, DAY, DAY, memory_limit_mb=64)
    expected = 64 + JSON_MEMORY_FACTOR * len(large.encode()) // MB
    assert expected > 64
    assert conn.execute("select current_setting('memory_limit')").fetchone()[0] == f"{expected}.0 MiB"
