"""The pandas alternative reads the same records with the same types as our ingestion (the reader, without Dagster)."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import duckdb
import pytest

from bench.pandas_ingest import read_file
from tests.bench.helpers import load_ours


@pytest.mark.parametrize("table", ["erp__sales_order_lines", "feedback__survey_responses"])
def test_pandas_reads_the_values_our_ingestion_loads(demo_home: Path, tmp_path: Path, table: str) -> None:
    ours = load_ours(demo_home, tmp_path, table)
    spec = ours.spec
    conn = duckdb.connect(str(ours.warehouse), read_only=True)
    frames = [read_file(Path(location), spec) for location in ours.files]
    rows = sum(len(f) for f in frames)
    assert rows == conn.execute(f"select count(*) from raw.{table}").fetchone()[0]
    number = next(c.name for c in spec.columns if c.type in ("integer", "decimal(18,2)"))
    stamp = next(c.name for c in spec.columns if c.type in ("date", "timestamp"))
    ours_sum, ours_latest = conn.execute(f"select sum({number}), max({stamp}) from raw.{table}").fetchone()
    assert sum(float(f[number].sum()) for f in frames) == pytest.approx(float(ours_sum))
    if not isinstance(ours_latest, datetime):  # a date column: pandas holds it as midnight
        ours_latest = datetime.combine(ours_latest, time())
    assert max(f[stamp].max() for f in frames).to_pydatetime() == ours_latest
