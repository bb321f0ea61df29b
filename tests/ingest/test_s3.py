"""An S3 landing: the same layout in a bucket, listed and fetched with boto3, read like local files.

Runs against moto's S3 server started in-process on 127.0.0.1 (no traffic leaves the machine).
"""

from __future__ import annotations

from datetime import date

import pytest

from orchestration.ingest.files import export_days
from tests.ingest.helpers import counts, csv_text, load, order, rejects, rows

pytestmark = pytest.mark.s3


def put(client, bucket: str, key: str, text: str | bytes) -> None:
    client.put_object(Bucket=bucket, Key=key, Body=text if isinstance(text, bytes) else text.encode())


def test_export_days_load_from_a_bucket(conn, bucket, make_spec) -> None:
    client, name = bucket
    spec = make_spec()
    put(client, name, "exports/shop/orders/2024-03-01/orders.csv", csv_text(order("A1"), order("A2", qty="x")))
    put(client, name, "exports/shop/orders/2024-03-02/orders.csv", csv_text(order("B1")))
    put(client, name, "exports/shop/orders/2024-03-02/readme.txt", "not an export")
    put(client, name, "exports/shop/orders/not-a-day/orders.csv", csv_text(order("C1")))
    landing = f"s3://{name}/exports"
    assert export_days(landing, spec) == [date(2024, 3, 1), date(2024, 3, 2)]
    result = load(conn, spec, landing, date(2024, 3, 1), date(2024, 3, 2))
    assert counts(result) == [("loaded", 2, 1, 1), ("loaded", 1, 1, 0)]
    assert rows(conn, spec, "order_id, _source_file") == [
        ("A1", f"s3://{name}/exports/shop/orders/2024-03-01/orders.csv"),
        ("B1", f"s3://{name}/exports/shop/orders/2024-03-02/orders.csv"),
    ]
    assert rejects(conn) == [(2, 3, "column \"quantity\" (export column \"Qty\"): expected a whole number, got 'x'")]


def test_a_redelivered_object_is_a_no_op_and_a_partial_upload_defers_its_day(conn, bucket, make_spec) -> None:
    client, name = bucket
    spec = make_spec()
    text = csv_text(order("A1"))
    put(client, name, "shop/orders/2024-03-01/orders.csv", text)
    put(client, name, "shop/orders/2024-03-02/orders-resent.csv", text)
    put(client, name, "shop/orders/2024-03-03/orders.csv.part", text[:20])
    result = load(conn, spec, f"s3://{name}", date(2024, 3, 1), date(2024, 3, 3))
    assert counts(result) == [("loaded", 1, 1, 0), ("duplicate", 0, 0, 0), ("in_progress", 0, 0, 0)]
    assert result.files[1].duplicate_of == f"s3://{name}/shop/orders/2024-03-01/orders.csv"
    assert result.deferred_days == [date(2024, 3, 3)]


@pytest.mark.security
@pytest.mark.bad_input
def test_an_object_key_that_tries_path_traversal_is_refused(conn, bucket, make_spec, tmp_path) -> None:
    client, name = bucket
    spec = make_spec()
    put(client, name, "shop/orders/2024-03-01/../../../../../escape.csv", csv_text(order("X1")))
    put(client, name, "shop/orders/2024-03-01/orders.csv", csv_text(order("A1")))
    quarantine = tmp_path / "quarantine"
    result = load(conn, spec, f"s3://{name}", date(2024, 3, 1), quarantine=quarantine)
    assert counts(result) == [("rejected_file", 0, 0, 0), ("loaded", 1, 1, 0)]
    assert "is not <day>/<file> below 'shop/orders/'" in result.files[0].reason
    assert rows(conn, spec) == [("A1",)]
    assert not quarantine.exists() and not (tmp_path.parent / "escape.csv").exists()
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=name)["Contents"])
    assert keys == ["shop/orders/2024-03-01/../../../../../escape.csv", "shop/orders/2024-03-01/orders.csv"]


def test_rejected_objects_move_to_an_s3_or_a_local_quarantine(conn, bucket, make_spec, tmp_path) -> None:
    client, name = bucket
    spec = make_spec()
    bad = csv_text("A1,3", header="OrderId,Qty")
    put(client, name, "in/shop/orders/2024-03-01/orders.csv", bad)
    put(client, name, "in/shop/orders/2024-03-02/orders.csv", bad + "\n")
    load(conn, spec, f"s3://{name}/in", date(2024, 3, 1), quarantine=f"s3://{name}/quarantine")
    local = tmp_path / "quarantine"
    load(conn, spec, f"s3://{name}/in", date(2024, 3, 2), quarantine=local)
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=name)["Contents"])
    assert keys == ["quarantine/shop/orders/2024-03-01/orders.csv", "quarantine/shop/orders/2024-03-01/orders.csv.reason.txt"]
    reason = client.get_object(Bucket=name, Key="quarantine/shop/orders/2024-03-01/orders.csv.reason.txt")["Body"].read().decode()
    assert reason == f"s3://{name}/in/shop/orders/2024-03-01/orders.csv: required column(s) missing from the header: " \
        '"Customer" (for customer), "OrderDate" (for order_date), "ChangedAt" (for changed_at)\n'
    assert (local / "shop/orders/2024-03-02/orders.csv").read_text() == bad + "\n"
    assert (local / "shop/orders/2024-03-02/orders.csv.reason.txt").exists()
