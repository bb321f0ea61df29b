"""The demand forecast as Dagster assets: thin glue around the plain functions in ``ml``.

Reads the product-grain monthly demand grid dbt builds (``marts.fct_demand_product_monthly``),
forecasts every product × region six months ahead, reconciled with the family × region, family,
region and total sums, with 80 % and 95 % intervals. A rolling-origin backtest scores both
reconciliations and seasonal naive; the better reconciliation makes the forecast. Writes
``ml.ml_demand_forecast`` (family × region) and ``ml.ml_demand_forecast_levels`` (every level,
product × region included), both vintages (one set of rows per input month, replaced by a re-run
on the same month), and ``ml.ml_forecast_accuracy`` (replaced), in one transaction. A run whose
inputs are those of the run that wrote the tables keeps them (orchestration/forecast_reuse.py).
"""


from datetime import UTC, datetime

import dagster as dg
from dagster import AssetExecutionContext
import pandas as pd
from pydantic import Field

from ml.backtest import ACCURACY_COLUMNS, accuracy_table, backtest
from ml.baselines import seasonal_naive
from ml.forecasting import DEFAULT_RECONCILIATION, MODEL_NAME, SharedFitReconciliations, forecast
from ml.hierarchy import BOTTOM, LEVEL_COLUMN, METHODS as RECONCILIATIONS, Hierarchy
from orchestration.forecast_reuse import FORECAST_TABLES, INPUTS_TABLE, inputs_fingerprint, inputs_row, kept_forecast
from orchestration.partitions import WAREHOUSE_POOL
from orchestration.resources import SalesopsHome
from orchestration.warehouse import FrameWrite

HORIZON = 6
LEVELS = (80, 95)  # the first is the headline interval (yhat_lo, yhat_hi)
GROUPINGS = ([], ["product_family"], ["region"], ["product_family", "region"])  # the aggregates above product × region
FAMILY_REGION = "product_family × region"  # the level ml_demand_forecast holds
PRODUCT_REGION = "product_id × region"  # the bottom level's name in the tables
MAX_ORIGINS = 6
MIN_TRAINING_MONTHS = 13  # before the first backtest origin: one season and a month
BASELINE = "seasonal_naive"
ML_SCHEMA = "ml"
DEMAND_KEY = dg.AssetKey(["marts", "fct_demand_product_monthly"])
FORECAST_KEY = dg.AssetKey([ML_SCHEMA, "ml_demand_forecast"])
ACCURACY_KEY = dg.AssetKey([ML_SCHEMA, "ml_forecast_accuracy"])
LEVEL_FORECAST_KEY = dg.AssetKey([ML_SCHEMA, "ml_demand_forecast_levels"])
STAMP_COLUMNS = ["as_of_month", "run_id", "created_at"]
INTERVAL_COLUMNS = ["yhat_lo", "yhat_hi", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"]
FORECAST_COLUMNS = [
    "unique_id", "product_family", "region", "ds", "horizon", "yhat", *INTERVAL_COLUMNS, "level", "model",
    "reconciliation", *STAMP_COLUMNS,
]
LEVEL_FORECAST_COLUMNS = [
    "hierarchy_level", "unique_id", "ds", "horizon", "yhat", *INTERVAL_COLUMNS, "level", "model", "reconciliation",
    *STAMP_COLUMNS,
]
ACCURACY_TABLE_COLUMNS = [
    *ACCURACY_COLUMNS[:8], "coverage_80", "coverage_95", *ACCURACY_COLUMNS[8:], *STAMP_COLUMNS
]

_DEMAND_SQL = """
    select product_id || ' | ' || region as unique_id, product_id, product_family, region,
           cast(month as timestamp) as ds, cast(ordered_units as double precision) as y
    from marts.fct_demand_product_monthly
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


def demand_hierarchy(demand: pd.DataFrame) -> Hierarchy:
    """Product × region series under their family × region, their family, their region and the total."""
    keys = demand.drop_duplicates("unique_id")[["unique_id", "product_family", "region"]]
    return Hierarchy.from_keys(keys, GROUPINGS)


def candidate_models(hierarchy: Hierarchy) -> dict:
    """The backtest's contestants: the forecaster with each reconciliation, and the baseline."""
    shared = SharedFitReconciliations(RECONCILIATIONS)  # one fit per origin, reconciled both ways
    models = {f"{MODEL_NAME}_{method}": shared.model(method) for method in RECONCILIATIONS}
    return {**models, BASELINE: seasonal_naive}


def pick_reconciliation(accuracy: pd.DataFrame) -> str:
    """The reconciliation whose forecasts have the lowest WAPE over all steps and origins, averaged over the levels."""
    overall = accuracy[(accuracy["horizon"] == "all") & accuracy["origin"].isna()]
    scores = {
        method: overall.loc[overall["model"] == f"{MODEL_NAME}_{method}", "wape"].mean() for method in RECONCILIATIONS
    }
    scored = {method: score for method, score in scores.items() if pd.notna(score)}
    return min(scored, key=scored.get) if scored else DEFAULT_RECONCILIATION


def demand_forecast_tables(demand: pd.DataFrame, run_id: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The forecast (family × region), forecast-by-level and accuracy tables for a demand frame.

    ``demand``: one series per product × region: ``unique_id``, ``product_family``, ``region``,
    ``ds``, ``y``. The bottom level is called ``product_id × region`` in the tables. The backtest scores
    both reconciliations; the production forecast uses the better one (see :func:`pick_reconciliation`).
    """
    series = demand[["unique_id", "ds", "y"]]
    hierarchy = demand_hierarchy(demand)
    as_of = demand["ds"].max()
    created_at = datetime.now(UTC).replace(tzinfo=None)
    stamp = dict(as_of_month=as_of, run_id=run_id, created_at=created_at)
    horizon, origins = backtest_plan(series["ds"].nunique())
    if origins:
        errors = backtest(series, horizon, origins, level=list(LEVELS), models=candidate_models(hierarchy), hierarchy=hierarchy)
        accuracy = accuracy_table(errors.replace({LEVEL_COLUMN: {BOTTOM: PRODUCT_REGION}}), by_origin=True)
    else:
        accuracy = pd.DataFrame(columns=ACCURACY_TABLE_COLUMNS[:-3])
    method = pick_reconciliation(accuracy)
    accuracy = accuracy.assign(**stamp)[ACCURACY_TABLE_COLUMNS]

    predicted = forecast(series, HORIZON, level=list(LEVELS), hierarchy=hierarchy, reconciliation=method)
    predicted = predicted.assign(level=LEVELS[0], model=MODEL_NAME, reconciliation=method, **stamp)
    predicted["horizon"] = (predicted["ds"].dt.year - as_of.year) * 12 + predicted["ds"].dt.month - as_of.month
    predicted[LEVEL_COLUMN] = predicted[LEVEL_COLUMN].replace({BOTTOM: PRODUCT_REGION})
    family_region = demand.drop_duplicates(["product_family", "region"])
    family_region = family_region.set_index(family_region["product_family"] + " | " + family_region["region"])
    pairs = predicted[predicted[LEVEL_COLUMN] == FAMILY_REGION].join(family_region[["product_family", "region"]], on="unique_id")
    return pairs[FORECAST_COLUMNS].reset_index(drop=True), predicted[LEVEL_FORECAST_COLUMNS].reset_index(drop=True), accuracy


def forecast_writes(predicted: pd.DataFrame, by_level: pd.DataFrame, accuracy: pd.DataFrame, inputs: pd.DataFrame) -> list[FrameWrite]:
    """A run's forecast tables, written in one transaction (all of them or, killed or failed, none).

    Forecasts are vintages, one per input month (``as_of_month``), so later months can be scored
    against what was forecast for them (kpi_forecast_accuracy): a run replaces the vintage of its
    own input month and keeps the others, so re-running the build converges to the same tables.
    ``inputs`` (:func:`orchestration.forecast_reuse.inputs_row`) records what they were computed from.
    """
    forecast_table, levels_table, accuracy_table = FORECAST_TABLES  # the names the reuse check reads back
    return [
        FrameWrite(ML_SCHEMA, forecast_table, predicted, replace_rows_of="as_of_month"),
        FrameWrite(ML_SCHEMA, levels_table, by_level, replace_rows_of="as_of_month"),
        FrameWrite(ML_SCHEMA, accuracy_table, accuracy),
        FrameWrite(ML_SCHEMA, INPUTS_TABLE, inputs),
    ]


def forecast_settings() -> dict[str, object]:
    """What the forecast tables depend on besides the demand frame (part of its fingerprint)."""
    return {
        "horizon": HORIZON, "levels": list(LEVELS), "groupings": [list(g) for g in GROUPINGS], "max_origins": MAX_ORIGINS,
        "min_training_months": MIN_TRAINING_MONTHS, "model": MODEL_NAME, "baseline": BASELINE,
        "reconciliations": list(RECONCILIATIONS), "default_reconciliation": DEFAULT_RECONCILIATION,
    }


class DemandForecastConfig(dg.Config):
    """Whether a run may keep the tables of a run with the same inputs."""

    recompute: bool = Field(
        default=False,
        description="Compute the forecast even when the complete months it reads are those of the run that wrote the tables.",
    )


def improvement_over_baseline(accuracy: pd.DataFrame, hierarchy_level: str = "product_family") -> float | None:
    """How much lower the chosen forecast's WAPE is than seasonal naive's at one level (0.2 = 20 % lower)."""
    overall = accuracy[(accuracy["horizon"] == "all") & accuracy["origin"].isna() & (accuracy["hierarchy_level"] == hierarchy_level)]
    chosen = overall[overall["model"].str.startswith(MODEL_NAME)]
    if chosen.empty or (overall["model"] == BASELINE).sum() == 0:
        return None
    method = pick_reconciliation(accuracy)
    gain = chosen.loc[chosen["model"] == f"{MODEL_NAME}_{method}", "fva"]
    return float(gain.iloc[0]) if len(gain) and pd.notna(gain.iloc[0]) else None


def ml_assets() -> list[dg.AssetsDefinition]:
    return [demand_forecast]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            FORECAST_KEY, deps=[DEMAND_KEY], group_name="ml", kinds={"scikit-learn", "duckdb"},
            description=f"Monthly ordered units per product family × region, {HORIZON} months ahead, reconciled, with 80 % and 95 % prediction intervals.",
        ),
        dg.AssetSpec(
            LEVEL_FORECAST_KEY, deps=[DEMAND_KEY], group_name="ml", kinds={"scikit-learn", "duckdb"},
            description="The same forecast at every level of the hierarchy (product × region, family × region, family, region, total), adding up.",
        ),
        dg.AssetSpec(
            ACCURACY_KEY, deps=[DEMAND_KEY], group_name="ml", kinds={"scikit-learn", "duckdb"},
            description="Rolling-origin backtest per model × hierarchy level × horizon × origin: WAPE, MASE, bias, 80/95 % coverage, value added over seasonal naive.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "beats_seasonal_naive", asset=ACCURACY_KEY,
            description="The chosen forecast's family-level backtest WAPE over all horizons is not above seasonal naive's.",
        )
    ],
    pool=WAREHOUSE_POOL,
)
def demand_forecast(context: AssetExecutionContext, config: DemandForecastConfig, salesops: SalesopsHome):
    warehouse = salesops.warehouse
    demand = warehouse.read_frame(_DEMAND_SQL)
    if demand.empty:
        raise dg.Failure(f"marts.fct_demand_product_monthly has no complete month in {warehouse.describe()}; nothing to forecast")
    fingerprint = inputs_fingerprint(demand, forecast_settings())
    kept = None if config.recompute else kept_forecast(warehouse, ML_SCHEMA, fingerprint)
    if kept is None:
        predicted, by_level, accuracy = demand_forecast_tables(demand, context.run_id)
        inputs = inputs_row(context.run_id, demand["ds"].max(), fingerprint, predicted["created_at"].iloc[0])
        warehouse.write_frames(forecast_writes(predicted, by_level, accuracy, inputs))
    else:
        context.log.info(f"The complete months are those run {kept.run_id} forecast from: its tables are kept")
        predicted, by_level, accuracy = kept.forecast, kept.levels, kept.accuracy
    reuse = {"computed_this_run": kept is None, "computed_in_run": context.run_id if kept is None else kept.run_id}
    gain = improvement_over_baseline(accuracy)
    overall = accuracy[(accuracy["horizon"] == "all") & accuracy["origin"].isna()]
    summary = overall.drop(columns=["origin", "run_id", "created_at", "as_of_month"])
    for key, frame in ((FORECAST_KEY, predicted), (LEVEL_FORECAST_KEY, by_level)):
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": len(frame),
                "series": int(frame["unique_id"].nunique()),
                "as_of_month": str(demand["ds"].max().date()),
                "reconciliation": str(frame["reconciliation"].iloc[0]),
                "preview": dg.MetadataValue.md(frame.head(12).to_markdown(index=False)),
                **reuse,
            },
        )
    yield dg.MaterializeResult(
        asset_key=ACCURACY_KEY,
        metadata={
            "dagster/row_count": len(accuracy),
            "family_wape_improvement_vs_seasonal_naive": dg.MetadataValue.float(gain) if gain is not None else "not measured",
            "accuracy": dg.MetadataValue.md(summary.to_markdown(index=False) if len(summary) else "too little history to backtest"),
            **reuse,
        },
    )
    yield dg.AssetCheckResult(
        asset_key=ACCURACY_KEY,
        check_name="beats_seasonal_naive",
        passed=bool(gain is not None and gain >= 0),  # a young warehouse: the forecaster may be seasonal naive itself
        severity=dg.AssetCheckSeverity.WARN,
        description="not enough history to backtest" if gain is None else f"family-level WAPE {gain:.1%} lower than seasonal naive",
        metadata={"wape_improvement": gain if gain is not None else 0.0},
    )
