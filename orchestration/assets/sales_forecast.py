"""Win probability and the pipeline forecast as Dagster assets: thin glue around ``ml.win_probability``.

Reads the opportunities dbt builds and the stage history of the deals the model uses
(``orchestration.win_probability_inputs``), validates the model on time
against the CRM's stage probability, trains it on every closed deal (beyond ``MAX_SNAPSHOT_ROWS``
snapshots, on a sample of them chosen by a hash of the id), scores the opportunities open now and sums them per expected close month and product family. Writes (each replaced per run)
``ml.ml_win_probability`` (one row per open opportunity), ``ml.ml_pipeline_forecast`` (month ×
product family) and ``ml.ml_win_probability_calibration`` (the validation's calibration curves and
Brier scores). ``marts.kpi_sop_monthly`` joins the scores (docs/sales_forecast.md).

The fit is kept under ``$SALESOPS_HOME/models`` (``ml.stored_fit``): a run within
``refit_after_days`` (run config, default 7) of it by the CRM's scoring moment scores with it,
reading only the open deals, their history and the closes summed per rep and account
(``read_scoring_inputs``); the calibration table stays the fitting run's validation.
"""


from datetime import UTC, datetime
from statistics import NormalDist

import dagster as dg
from dagster import AssetExecutionContext
import pandas as pd
from pydantic import Field

from ml.charts import bookings_chart, calibration_chart, markdown_image
from ml.pipeline_forecast import pipeline_forecast
from ml.stored_fit import REFIT_AFTER_DAYS, StoredFit, load_fit, refit_reason, save_fit
from ml.win_probability import CRM_NAME, MODEL_NAME, fit_and_validate, open_opportunity_scores
from orchestration.partitions import WAREHOUSE_POOL
from orchestration.resources import SalesopsHome
from orchestration.warehouse import FrameWrite
from orchestration.win_probability_inputs import WinProbabilityInputs, read_deals, read_inputs, read_scoring_inputs, read_scoring_summary

ML_SCHEMA = "ml"
HISTORY_KEY = dg.AssetKey(["intermediate", "int_opportunities__stage_history"])
OPPORTUNITIES_KEY = dg.AssetKey(["marts", "fct_opportunities"])
SCORES_KEY = dg.AssetKey([ML_SCHEMA, "ml_win_probability"])
PIPELINE_KEY = dg.AssetKey([ML_SCHEMA, "ml_pipeline_forecast"])
CALIBRATION_KEY = dg.AssetKey([ML_SCHEMA, "ml_win_probability_calibration"])
FIT_FILE = "win_probability.pkl"  # under $SALESOPS_HOME/models

SCORE_COLUMNS = [
    "opportunity_id", "sales_rep_id", "account_id", "product_family", "stage_name", "close_date", "amount",
    "quantity", "crm_probability", "win_probability", "model", "as_of", "run_id", "created_at",
]
LABELS = {MODEL_NAME: "model", CRM_NAME: "CRM stage probability"}


def _require_opportunities(count: int, warehouse) -> None:
    if not count:
        raise dg.Failure(f"marts.fct_opportunities is empty in {warehouse.describe()}; nothing to score")


def sales_forecast_tables(
    inputs: WinProbabilityInputs, run_id: str, fit: StoredFit | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, StoredFit]:
    """The scores, pipeline forecast and calibration tables, and the fit behind them: ``fit`` when given
    (the calibration table is then the validation of the run that fitted it), else a new fit of
    ``inputs`` (which must then hold the training sample's history)."""
    as_of = inputs.as_of
    created_at = datetime.now(UTC).replace(tzinfo=None)
    if fit is None:
        fitted = fit_and_validate(inputs.history, inputs.opportunities, as_of, inputs.closed, training=inputs.training)
        fit = StoredFit(fitted, run_id, created_at)
    model, validation = fit.fitted.name, fit.fitted.validation
    stamp = {"as_of": as_of, "run_id": run_id, "created_at": created_at}
    scored = open_opportunity_scores(inputs.history, inputs.opportunities, inputs.closed, as_of, fit.fitted.model)
    scores = inputs.ids.decode(scored).assign(model=model, **stamp)[SCORE_COLUMNS]
    pipeline = pipeline_forecast(scores).assign(model=model, **stamp)
    if validation is None:
        calibration = pd.DataFrame(columns=["forecaster", "bin", "bin_lower", "bin_upper", "n", "mean_predicted", "observed_rate", "brier_score", "test_rows", "train_rows", "cutoff", "run_id", "created_at"])
    else:
        brier = validation.summary().set_index("forecaster")["brier_score"]
        calibration = validation.curves.assign(
            brier_score=validation.curves["forecaster"].map(brier), test_rows=validation.test_rows,
            train_rows=validation.train_rows, cutoff=validation.cutoff, run_id=fit.run_id, created_at=fit.fitted_at,
        )
    return scores, pipeline, calibration, fit


def calibration_svg(calibration: pd.DataFrame) -> str:
    """The calibration chart of a ``ml_win_probability_calibration`` table, Brier scores in the legend."""
    brier = calibration.drop_duplicates("forecaster").set_index("forecaster")["brier_score"]
    labels = {name: f"{label}, Brier {brier[name]:.3f}" for name, label in LABELS.items() if name in brier}
    return calibration_chart("Win probability: calibration on later closes", calibration, labels)


def pipeline_svg(pipeline: pd.DataFrame, as_of: pd.Timestamp) -> str:
    """Expected bookings of the months from the scoring month on, all product families: the families'
    variances add up (deals are independent), so the total's interval comes from their sum."""
    months = pipeline[pipeline["month"] >= as_of.to_period("M").to_timestamp()]
    z = NormalDist().inv_cdf(0.5 + float(months["level"].iloc[0] if len(months) else 80) / 200)
    variance = ((months["expected_bookings_hi"] - months["expected_bookings_amount"]) / z) ** 2
    totals = months.assign(variance=variance).groupby("month", as_index=False)[["crm_weighted_amount", "expected_bookings_amount", "variance"]].sum()
    spread = z * totals["variance"] ** 0.5
    totals["expected_bookings_lo"] = (totals["expected_bookings_amount"] - spread).clip(lower=0)
    totals["expected_bookings_hi"] = totals["expected_bookings_amount"] + spread
    return bookings_chart("Expected bookings by close month", totals.head(6))


class WinProbabilityConfig(dg.Config):
    """How often the model is fitted again; scoring runs every time."""

    refit_after_days: int = Field(
        default=REFIT_AFTER_DAYS,
        description="Score with the stored fit while it is younger than this many days (by the CRM's scoring moment); 0 fits every run.",
    )


def sales_forecast_assets() -> list[dg.AssetsDefinition]:
    return [win_probability]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            SCORES_KEY, deps=[HISTORY_KEY, OPPORTUNITIES_KEY], group_name="ml", kinds={"scikit-learn", "duckdb"},
            description="Win probability of every opportunity open now (calibrated gradient boosting), beside the CRM's stage probability.",
        ),
        dg.AssetSpec(
            PIPELINE_KEY, deps=[HISTORY_KEY, OPPORTUNITIES_KEY], group_name="ml", kinds={"scikit-learn", "duckdb"},
            description="Expected bookings of the open pipeline per expected close month × product family, with an 80 % interval.",
        ),
        dg.AssetSpec(
            CALIBRATION_KEY, deps=[HISTORY_KEY, OPPORTUNITIES_KEY], group_name="ml", kinds={"scikit-learn", "duckdb"},
            description="Validation on time (trained on earlier closes, tested on later ones): Brier score and calibration curve of the model and of the CRM's stage probability.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "beats_crm_stage_probability", asset=CALIBRATION_KEY,
            description="On later closes the model's Brier score is lower than the CRM stage probability's.",
        )
    ],
    pool=WAREHOUSE_POOL,
)
def win_probability(context: AssetExecutionContext, config: WinProbabilityConfig, salesops: SalesopsHome):
    warehouse = salesops.warehouse
    model_file = salesops.paths.models / FIT_FILE
    stored, unusable = load_fit(model_file)
    # With a stored fit, one summary query decides; scoring with it reads only the open deals (at 10M order
    # lines 212k of 3.9M opportunities). Without one, the whole read is needed anyway.
    summary = read_scoring_summary(warehouse) if stored is not None else None
    reason = unusable if summary is None else refit_reason(stored, unusable, summary.as_of, summary.closed_deals, config.refit_after_days)
    if reason is None:
        _require_opportunities(summary.opportunities, warehouse)
        inputs = read_scoring_inputs(warehouse, summary)
    else:
        deals = read_deals(warehouse)
        _require_opportunities(len(deals.opportunities), warehouse)
        inputs = read_inputs(warehouse, deals)
    scores, pipeline, calibration, fit = sales_forecast_tables(inputs, context.run_id, None if reason else stored)
    validation = fit.fitted.validation
    tables = (("ml_win_probability", scores), ("ml_pipeline_forecast", pipeline), ("ml_win_probability_calibration", calibration))
    warehouse.write_frames([FrameWrite(ML_SCHEMA, name, frame) for name, frame in tables])  # all three, or none
    if reason:
        save_fit(model_file, fit)  # after the tables: a failed write leaves the previous fit in use
        context.log.info(f"win_probability fitted: {reason}")
    else:
        context.log.info(f"win_probability scored with the model fitted as of {fit.fitted.as_of} in run {fit.run_id}")
    fitting = {
        "fitted_this_run": reason is not None,
        "refit_reason": reason or "",
        "model_fitted_as_of": str(fit.fitted.as_of),
        "model_fitted_in_run": fit.run_id,
    }
    yield dg.MaterializeResult(
        asset_key=SCORES_KEY,
        metadata={
            "dagster/row_count": len(scores),
            "as_of": str(inputs.as_of),
            "model": scores["model"].iloc[0] if len(scores) else MODEL_NAME,
            "mean_win_probability": float(scores["win_probability"].mean()) if len(scores) else 0.0,
            "mean_crm_probability": float(scores["crm_probability"].mean()) if len(scores) else 0.0,
            **fitting,
        },
    )
    yield dg.MaterializeResult(
        asset_key=PIPELINE_KEY,
        metadata={
            "dagster/row_count": len(pipeline),
            "expected_bookings": dg.MetadataValue.md(markdown_image(pipeline_svg(pipeline, inputs.as_of), "expected bookings by month")),
            "preview": dg.MetadataValue.md(pipeline.drop(columns=["run_id", "created_at"]).head(12).to_markdown(index=False)),
        },
    )
    measured = validation is not None
    yield dg.MaterializeResult(
        asset_key=CALIBRATION_KEY,
        metadata={
            "dagster/row_count": len(calibration),
            "brier_model": validation.brier_model if measured else "not measured",
            "brier_crm": validation.brier_crm if measured else "not measured",
            "cutoff": str(validation.cutoff.date()) if measured else "too few closed deals to validate",
            "calibration": dg.MetadataValue.md(markdown_image(calibration_svg(calibration), "calibration curve") if measured else "too few closed deals to validate"),
        },
    )
    yield dg.AssetCheckResult(
        asset_key=CALIBRATION_KEY,
        check_name="beats_crm_stage_probability",
        passed=bool(measured and validation.brier_model < validation.brier_crm),
        severity=dg.AssetCheckSeverity.WARN,
        description=f"Brier {validation.brier_model:.3f} (model) vs {validation.brier_crm:.3f} (CRM)" if measured else "too few closed deals to validate",
        metadata={"brier_model": validation.brier_model if measured else 0.0, "brier_crm": validation.brier_crm if measured else 0.0},
    )
