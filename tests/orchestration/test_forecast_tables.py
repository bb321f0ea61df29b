"""How a forecast run stores its tables: one vintage per input month, replaced by a re-run, all or nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.assets.ml import forecast_writes
from orchestration.forecast_reuse import inputs_row
from orchestration.warehouse import DuckDBWarehouse


def vintage(as_of: str, run_id: str, yhat: float) -> pd.DataFrame:
    months = pd.to_datetime(["2025-03-01", "2025-04-01"]) if as_of == "2025-02-01" else pd.to_datetime(["2025-04-01", "2025-05-01"])
    return pd.DataFrame({
        "unique_id": "Road | EMEA", "product_family": "Road", "region": "EMEA", "ds": months, "horizon": [1, 2],
        "yhat": yhat, "yhat_lo": yhat - 1, "yhat_hi": yhat + 1, "level": 80, "model": "global_gbm",
        "as_of_month": pd.Timestamp(as_of), "run_id": run_id, "created_at": pd.Timestamp("2025-03-02"),
    })


def levels(forecast: pd.DataFrame) -> pd.DataFrame:
    return forecast.drop(columns=["product_family", "region"]).assign(hierarchy_level="product_family × region")


def accuracy(run_id: str) -> pd.DataFrame:
    return pd.DataFrame({"model": ["global_gbm"], "horizon": ["all"], "wape": [0.1], "run_id": [run_id]})


def inputs(run_id: str) -> pd.DataFrame:
    return inputs_row(run_id, pd.Timestamp("2025-03-01"), f"fingerprint of {run_id}", pd.Timestamp("2025-03-02"))


def write(warehouse: DuckDBWarehouse, forecast: pd.DataFrame, run_id: str) -> None:
    warehouse.write_frames(forecast_writes(forecast, levels(forecast), accuracy(run_id), inputs(run_id)))


def stored(path: Path, table: str = "ml_demand_forecast") -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(
            f"select as_of_month::date::varchar, run_id, count(*), sum(yhat) from ml.{table} group by all order by all"
        ).fetchall()


def stored_run_ids(path: Path, table: str = "ml_forecast_accuracy") -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(f"select run_id from ml.{table}").fetchall()


def test_a_rerun_on_the_same_input_month_replaces_its_vintage_and_keeps_the_others(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    write(warehouse, vintage("2025-02-01", "run-a", 10.0), "run-a")
    write(warehouse, vintage("2025-03-01", "run-b", 20.0), "run-b")
    write(warehouse, vintage("2025-03-01", "run-c", 30.0), "run-c")  # the same input month again
    expected = [("2025-02-01", "run-a", 2, 20.0), ("2025-03-01", "run-c", 2, 60.0)]
    assert stored(warehouse.path) == expected
    assert stored(warehouse.path, "ml_demand_forecast_levels") == expected
    assert stored_run_ids(warehouse.path) == [("run-c",)]
    assert stored_run_ids(warehouse.path, "ml_demand_forecast_inputs") == [("run-c",)]


def test_a_run_that_fails_while_writing_leaves_every_table_as_it_was(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    write(warehouse, vintage("2025-03-01", "run-a", 10.0), "run-a")
    good = vintage("2025-03-01", "run-b", 20.0)
    broken = good.astype({"yhat": object})
    broken["yhat"] = ["12.5", "not a number"]  # fails the levels insert, after the forecast table was written
    with pytest.raises(duckdb.ConversionException):
        warehouse.write_frames(forecast_writes(good, levels(broken), accuracy("run-b"), inputs("run-b")))
    assert stored(warehouse.path) == [("2025-03-01", "run-a", 2, 20.0)]
    assert stored(warehouse.path, "ml_demand_forecast_levels") == [("2025-03-01", "run-a", 2, 20.0)]
    assert stored_run_ids(warehouse.path) == [("run-a",)]
    assert stored_run_ids(warehouse.path, "ml_demand_forecast_inputs") == [("run-a",)]
