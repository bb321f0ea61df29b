"""The demand forecast as Dagster assets: thin glue around the plain functions in ``ml``.

Reads the monthly demand grid dbt builds (``marts.fct_demand_monthly``), forecasts every product
family × region six months ahead with an 80 % interval, backtests the model against seasonal naive
on rolling origins, and writes ``ml.ml_demand_forecast`` (vintages: one set of rows per
input month, replaced by a re-run on the same month) and ``ml.ml_forecast_accuracy`` (replaced), in
one transaction.
"""


from datetime import UTC, datetime

import dagster as dg
import duckdb
from dagster import AssetExecutionContext
import pandas as pd

from ml.backtest import accuracy_table, backtest
from ml.forecasting import MODEL_NAME, forecast
from orchestration.partitions import WAREHOUSE_POOL
from orchestration.resources import SalesopsHome
from orchestration.warehouse import warehouse_connection

HORIZON = 6
LEVEL = 80
MAX_ORIGINS = 6
MIN_TRAINING_MONTHS = 13  # before the first backtest origin: one season and a month
BASELINE = "seasonal_naive"
ML_SCHEMA = "ml"
DEMAND_KEY = dg.AssetKey(["marts", "fct_demand_monthly"])
FORECAST_KEY = dg.AssetKey([ML_SCHEMA, "ml_demand_forecast"])
ACCURACY_KEY = dg.AssetKey([ML_SCHEMA, "ml_forecast_accuracy"])

_DEMAND_SQL = """
    select product_family || ' | ' || region as unique_id, product_family, region,
           cast(month as timestamp) as ds, cast(ordered_units as double) as y
    from marts.fct_demand_monthly
    where is_complete_month
    order by unique_id, ds
"""


def backtest_plan(months: int) -> tuple[int, int]:
    """The backtest's horizon and number of rolling origins for a history of ``months`` months.

    Every origin needs MIN_TRAINING_MONTHS of history before it (seasonal naive needs a season,
    MASE a seasonal difference). With room for the full HORIZON, up to MAX_ORIGINS origins; with
    less (a young warehouse), one origin and as many months ahead as the history leaves; with no
    room at all, ``(0, 0)``: no backtest.
    """
    room = months - MIN_TRAINING_MONTHS
    if room < 1:
        return 0, 0
    horizon = min(HORIZON, room)
    return horizon, max(1, min(MAX_ORIGINS, room - horizon + 1))


def demand_forecast_tables(demand: pd.DataFrame, run_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forecast and accuracy tables for a demand frame (``unique_id``, ``product_family``, ``region``, ``ds``, ``y``)."""
    series = demand[["unique_id", "ds", "y"]]
    as_of = demand["ds"].max()
    created_at = datetime.now(UTC).replace(tzinfo=None)
    names = demand.drop_duplicates("unique_id").set_index("unique_id")[["product_family", "region"]]
    predicted = forecast(series, HORIZON, level=LEVEL).join(names, on="unique_id")
    predicted = predicted.assign(level=LEVEL, model=MODEL_NAME, as_of_month=as_of, run_id=run_id, created_at=created_at)
    predicted["horizon"] = (predicted["ds"].dt.year - as_of.year) * 12 + predicted["ds"].dt.month - as_of.month
    horizon, origins = backtest_plan(series["ds"].nunique())
    if origins:
        accuracy = accuracy_table(backtest(series, horizon, origins, level=LEVEL))
    else:
        accuracy = pd.DataFrame(columns=["model", "horizon", "wape", "mase", "bias", "coverage", "n_series", "n_points", "n_origins"])
    accuracy = accuracy.assign(as_of_month=as_of, run_id=run_id, created_at=created_at)
    columns = [
        "unique_id", "product_family", "region", "ds", "horizon", "yhat", "yhat_lo", "yhat_hi", "level", "model",
        "as_of_month", "run_id", "created_at",
    ]
    return predicted[columns], accuracy


def write_forecast_tables(conn: duckdb.DuckDBPyConnection, predicted: pd.DataFrame, accuracy: pd.DataFrame) -> None:
    """Store a run's forecast vintage and backtest in one transaction: all of it, or (killed, failed) nothing.

    Forecasts are vintages, one per input month (``as_of_month``), so later months can be scored
    against what was forecast for them (kpi_forecast_accuracy): a run replaces the vintage of its
    own input month and keeps the others, so re-running the build converges to the same table.
    A table from before vintages gains ``horizon``.
    """
    forecast, accuracy_table_name = f"{ML_SCHEMA}.ml_demand_forecast", f"{ML_SCHEMA}.ml_forecast_accuracy"
    conn.execute("begin transaction")
    try:
        conn.execute(f"create schema if not exists {ML_SCHEMA}")
        conn.register("_forecast", predicted)
        conn.register("_accuracy", accuracy)
        conn.execute(f"create table if not exists {forecast} as select * from _forecast limit 0")
        conn.execute(f"alter table {forecast} add column if not exists horizon integer")
        conn.execute(f"delete from {forecast} where as_of_month in (select distinct as_of_month from _forecast)")
        conn.execute(f"insert into {forecast} by name select * from _forecast")
        conn.execute(f"create or replace table {accuracy_table_name} as select * from _accuracy")
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    finally:
        conn.unregister("_forecast")
        conn.unregister("_accuracy")


def improvement_over_baseline(accuracy: pd.DataFrame) -> float | None:
    """How much lower the model's overall WAPE is than seasonal naive's, as a share (0.2 = 20 % lower)."""
    overall = accuracy[accuracy["horizon"] == "all"].set_index("model")["wape"]
    if MODEL_NAME not in overall or BASELINE not in overall or not overall[BASELINE]:
        return None
    return float(1 - overall[MODEL_NAME] / overall[BASELINE])


def ml_assets() -> list[dg.AssetsDefinition]:
    return [demand_forecast]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            FORECAST_KEY, deps=[DEMAND_KEY], group_name="ml", kinds={"scikit-learn", "duckdb"},
            description=f"Monthly ordered units per product family × region, {HORIZON} months ahead, with a {LEVEL} % prediction interval.",
        ),
        dg.AssetSpec(
            ACCURACY_KEY, deps=[DEMAND_KEY], group_name="ml", kinds={"scikit-learn", "duckdb"},
            description="Rolling-origin backtest of the forecaster and of seasonal naive: WAPE, MASE, bias and interval coverage.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "beats_seasonal_naive", asset=ACCURACY_KEY,
            description="The model's backtest WAPE over all horizons is lower than seasonal naive's.",
        )
    ],
    pool=WAREHOUSE_POOL,
)
def demand_forecast(context: AssetExecutionContext, salesops: SalesopsHome):
    with warehouse_connection(salesops.paths.warehouse, read_only=True) as conn:
        demand = conn.execute(_DEMAND_SQL).df()
    if demand.empty:
        raise dg.Failure(f"marts.fct_demand_monthly has no complete month in {salesops.paths.warehouse}; nothing to forecast")
    predicted, accuracy = demand_forecast_tables(demand, context.run_id)
    with warehouse_connection(salesops.paths.warehouse) as conn:
        write_forecast_tables(conn, predicted, accuracy)
    gain = improvement_over_baseline(accuracy)
    overall = accuracy[accuracy["horizon"] == "all"]
    yield dg.MaterializeResult(
        asset_key=FORECAST_KEY,
        metadata={
            "dagster/row_count": len(predicted),
            "series": int(predicted["unique_id"].nunique()),
            "as_of_month": str(demand["ds"].max().date()),
            "preview": dg.MetadataValue.md(predicted.head(12).to_markdown(index=False)),
        },
    )
    yield dg.MaterializeResult(
        asset_key=ACCURACY_KEY,
        metadata={
            "dagster/row_count": len(accuracy),
            "wape_improvement_vs_seasonal_naive": dg.MetadataValue.float(gain) if gain is not None else "not measured",
            "accuracy": dg.MetadataValue.md(overall.drop(columns=["run_id", "created_at"]).to_markdown(index=False) if len(overall) else "too little history to backtest"),
        },
    )
    yield dg.AssetCheckResult(
        asset_key=ACCURACY_KEY,
        check_name="beats_seasonal_naive",
        passed=bool(gain is not None and gain > 0),
        severity=dg.AssetCheckSeverity.WARN,
        description="not enough history to backtest" if gain is None else f"WAPE {gain:.1%} lower than seasonal naive",
        metadata={"wape_improvement": gain if gain is not None else 0.0},
    )
