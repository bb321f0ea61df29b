"""How a forecast run stores its vintage: one per input month, replaced by a re-run, all or nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.assets.ml import write_forecast_tables


def vintage(as_of: str, run_id: str, yhat: float) -> pd.DataFrame:
    months = pd.to_datetime(["2025-03-01", "2025-04-01"]) if as_of == "2025-02-01" else pd.to_datetime(["2025-04-01", "2025-05-01"])
    return pd.DataFrame({
        "unique_id": "Road | EMEA", "product_family": "Road", "region": "EMEA", "ds": months, "horizon": [1, 2],
        "yhat": yhat, "yhat_lo": yhat - 1, "yhat_hi": yhat + 1, "level": 80, "model": "global_gbm",
        "as_of_month": pd.Timestamp(as_of), "run_id": run_id, "created_at": pd.Timestamp("2025-03-02"),
    })


def accuracy(run_id: str) -> pd.DataFrame:
    return pd.DataFrame({"model": ["global_gbm"], "horizon": ["all"], "wape": [0.1], "run_id": [run_id]})


def stored(conn: duckdb.DuckDBPyConnection) -> list[tuple]:
    return conn.execute(
        "select as_of_month::date::varchar, run_id, count(*), sum(yhat) from ml.ml_demand_forecast group by all order by all"
    ).fetchall()


def test_a_rerun_on_the_same_input_month_replaces_its_vintage_and_keeps_the_others(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        write_forecast_tables(conn, vintage("2025-02-01", "run-a", 10.0), accuracy("run-a"))
        write_forecast_tables(conn, vintage("2025-03-01", "run-b", 20.0), accuracy("run-b"))
        write_forecast_tables(conn, vintage("2025-03-01", "run-c", 30.0), accuracy("run-c"))  # the same input month again
        assert stored(conn) == [("2025-02-01", "run-a", 2, 20.0), ("2025-03-01", "run-c", 2, 60.0)]
        assert conn.execute("select run_id from ml.ml_forecast_accuracy").fetchall() == [("run-c",)]


def test_a_run_that_fails_while_writing_leaves_both_tables_as_they_were(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        write_forecast_tables(conn, vintage("2025-03-01", "run-a", 10.0), accuracy("run-a"))
        broken = vintage("2025-03-01", "run-b", 20.0).astype({"yhat": object})
        broken["yhat"] = ["12.5", "not a number"]  # fails the insert after the old vintage was deleted
        with pytest.raises(duckdb.ConversionException):
            write_forecast_tables(conn, broken, accuracy("run-b"))
        assert stored(conn) == [("2025-03-01", "run-a", 2, 20.0)]
        assert conn.execute("select run_id from ml.ml_forecast_accuracy").fetchall() == [("run-a",)]
