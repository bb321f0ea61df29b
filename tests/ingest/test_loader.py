"""Loading export files into raw tables: typing, lineage, idempotent re-loads, rejects and accounting."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import load_export_days, load_specs

SPECS = {spec.table_name: spec for spec in load_specs()}
OPPORTUNITY_HEADER = (
    "Id,Name,AccountId,OwnerId,StageName,Amount,CurrencyIsoCode,Probability,CloseDate,IsClosed,IsWon,"
    "Type,LeadSource,ForecastCategoryName,Product_Family__c,Quantity__c,CreatedDate,LastModifiedDate"
)


def opportunity_row(opp_id: str, amount: str = "1000.50", close: str = "2024-03-31", created: str = "2024-01-05T10:00:00.000+0000") -> str:
    return (
        f'{opp_id},"Deal, big",001A,005R,Proposal,{amount},USD,60,{close},false,false,'
        f"New Business,Web,Pipeline,Road,12,{created},2024-02-01T09:30:00.000+0000"
    )


def write(landing: Path, table: str, day: str, text: str, name: str | None = None, encoding: str = "utf-8") -> Path:
    source, obj = table.split("__")
    spec = SPECS[table]
    folder = landing / source / obj / day
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{obj}.{'jsonl' if spec.format.type == 'jsonl' else 'csv'}")
    path.write_text(text, encoding=encoding)
    return path


@pytest.fixture
def conn():
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    yield connection
    connection.close()


def test_csv_rows_are_typed_with_lineage(tmp_path: Path, conn) -> None:
    path = write(tmp_path, "crm__opportunities", "2024-02-01", "\n".join([OPPORTUNITY_HEADER, opportunity_row("006A"), opportunity_row("006B", "20")]) + "\n")
    result = load_export_days(conn, SPECS["crm__opportunities"], tmp_path, date(2024, 2, 1), date(2024, 2, 1))
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 2, 0)
    row = conn.execute(
        "select opportunity_name, amount, close_date, is_closed, created_at, _export_date, _source_file "
        "from raw.crm__opportunities where opportunity_id = '006A'"
    ).fetchone()
    assert row[0] == "Deal, big"
    assert str(row[1]) == "1000.50"
    assert row[2] == date(2024, 3, 31)
    assert row[3] is False
    assert str(row[4]) == "2024-01-05 10:00:00"
    assert row[5] == date(2024, 2, 1)
    assert row[6] == str(path)


def test_reloading_a_day_replaces_its_rows_only(tmp_path: Path, conn) -> None:
    spec = SPECS["crm__opportunities"]
    write(tmp_path, spec.table_name, "2024-02-01", f"{OPPORTUNITY_HEADER}\n{opportunity_row('006A')}\n")
    write(tmp_path, spec.table_name, "2024-02-02", f"{OPPORTUNITY_HEADER}\n{opportunity_row('006B')}\n{opportunity_row('006C')}\n")
    load_export_days(conn, spec, tmp_path, date(2024, 2, 1), date(2024, 2, 2))
    for _ in range(2):
        load_export_days(conn, spec, tmp_path, date(2024, 2, 2), date(2024, 2, 2))
    counts = conn.execute("select _export_date, count(*) from raw.crm__opportunities group by 1 order by 1").fetchall()
    assert counts == [(date(2024, 2, 1), 1), (date(2024, 2, 2), 2)]


def test_bad_rows_are_rejected_with_file_line_column_and_reason(tmp_path: Path, conn) -> None:
    text = "\n".join(
        [
            OPPORTUNITY_HEADER,
            opportunity_row("006A"),
            '006B,"two\nlines",001A,005R,Proposal,10,USD,60,2024-03-31,false,false,x,y,z,Road,1,2024-01-05T10:00:00.000+0000,2024-02-01T09:30:00.000+0000',
            opportunity_row("006C", close="2024-02-30"),
            opportunity_row("006D", amount="ten"),
        ]
    ) + "\n"
    path = write(tmp_path, "crm__opportunities", "2024-02-01", text)
    result = load_export_days(conn, SPECS["crm__opportunities"], tmp_path, date(2024, 2, 1), date(2024, 2, 1))
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    rejects = conn.execute(
        "select source_file, record_number, line_number, reason from raw._rejected_rows order by record_number"
    ).fetchall()
    assert rejects == [
        (str(path), 3, 5, "column \"close_date\" (export column \"CloseDate\"): expected a date in the format %Y-%m-%d, got '2024-02-30'"),
        (str(path), 4, 6, "column \"amount\" (export column \"Amount\"): expected a number with '.' as decimal separator, got 'ten'"),
    ]
    manifest = conn.execute("select status, rows_read, rows_loaded, rows_rejected from raw._load_manifest").fetchall()
    assert manifest == [("loaded", 4, 2, 2)]


def test_file_missing_a_required_column_is_quarantined_with_a_reason(tmp_path: Path, conn) -> None:
    landing, quarantine = tmp_path / "landing", tmp_path / "quarantine"
    header = OPPORTUNITY_HEADER.replace("StageName,", "")
    row = opportunity_row("006A").replace("Proposal,", "")
    write(landing, "crm__opportunities", "2024-02-01", f"{header}\n{row}\n")
    result = load_export_days(conn, SPECS["crm__opportunities"], landing, date(2024, 2, 1), date(2024, 2, 1), quarantine)
    assert [(f.status, f.rows_read, f.rows_rejected) for f in result.files] == [("rejected_file", 1, 1)]
    moved = quarantine / "crm" / "opportunities" / "2024-02-01" / "opportunities.csv"
    assert moved.exists()
    reason = moved.with_name("opportunities.csv.reason.txt").read_text()
    assert 'required column(s) missing from the header: "StageName" (for stage_name)' in reason
    assert conn.execute("select count(*) from raw.crm__opportunities").fetchone() == (0,)


def test_json_lines_with_a_broken_line(tmp_path: Path, conn) -> None:
    lines = [
        '{"responseId": "R1", "surveyType": "NPS", "customerId": "0100000001", "orderId": null, "score": 9, "comment": "great", "respondentEmail": "a@b.com", "submittedAt": "2024-02-01T10:00:00Z"}',
        "{not json",
        "",
        '{"responseId": "R2", "surveyType": "CSAT", "customerId": "0100000002", "score": 4, "submittedAt": "2024-02-01T11:00:00Z"}',
    ]
    write(tmp_path, "feedback__survey_responses", "2024-02-01", "\n".join(lines) + "\n")
    result = load_export_days(conn, SPECS["feedback__survey_responses"], tmp_path, date(2024, 2, 1), date(2024, 2, 1))
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert conn.execute("select response_id, score, order_id from raw.feedback__survey_responses order by 1").fetchall() == [
        ("R1", 9, None),
        ("R2", 4, None),
    ]
    assert conn.execute("select line_number, reason, raw_record from raw._rejected_rows").fetchall() == [
        (2, "the line is not valid JSON", "{not json")
    ]


def test_empty_folder_range_and_empty_file(tmp_path: Path, conn) -> None:
    write(tmp_path, "crm__opportunities", "2024-02-01", "")
    result = load_export_days(conn, SPECS["crm__opportunities"], tmp_path, date(2024, 2, 1), date(2024, 2, 3))
    assert [(f.status, f.rows_read) for f in result.files] == [("loaded", 0)]
    assert conn.execute("select count(*) from raw.crm__opportunities").fetchone() == (0,)


def test_a_column_default_fills_missing_columns_and_empty_values(tmp_path: Path, conn, make_spec) -> None:
    from tests.ingest.helpers import HEADER, csv_text, drop, load, order

    spec = make_spec(
        replace={"encoding: utf-8,": 'encoding: utf-8, null_values: ["n/a"],'},
        extra='  - {name: channel, source: Channel, type: varchar, default: "unknown"}\n',
    )
    drop(tmp_path, spec, csv_text(order("A1"), order("A2")), day="2024-03-01")
    drop(tmp_path, spec, csv_text(order("B1") + ",shop", order("B2") + ",", order("B3") + ", ", order("B4") + ",n/a",
                                  header=HEADER + ",Channel"), day="2024-03-02")
    first, second = load(conn, spec, tmp_path, date(2024, 3, 1)), load(conn, spec, tmp_path, date(2024, 3, 2))
    assert first.files[0].notes == ["column(s) missing, loaded as the spec's default: \"Channel\" (for channel = 'unknown')"]
    assert (first.rows_loaded, second.rows_loaded, second.rows_rejected) == (2, 4, 0)
    assert second.files[0].notes == []
    assert conn.execute("select order_id, channel from raw.shop__orders order by order_id").fetchall() == [
        ("A1", "unknown"), ("A2", "unknown"), ("B1", "shop"), ("B2", "unknown"), ("B3", "unknown"), ("B4", "unknown"),
    ]
