"""The S&OP report asset: the planner's pictures, in the Dagster UI and as an HTML page.

After the S&OP marts are built it draws, per product family, the demand forecast against the units
ordered (with its interval), the open pipeline's expected bookings against the CRM-weighted one,
and the win-probability calibration curve; writes them with the coming months of
``kpi_sop_monthly`` to ``$SALESOPS_HOME/reports/sop_report.html`` (self-contained: inline SVG, no
network) and shows the same charts as asset metadata.
"""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from ml.charts import forecast_chart, markdown_image
from ml.sop_report import family_series, render_report, table_html
from orchestration.assets.sales_forecast import CALIBRATION_KEY, PIPELINE_KEY, calibration_svg, pipeline_svg
from orchestration.partitions import WAREHOUSE_POOL
from orchestration.resources import SalesopsHome

REPORT_KEY = dg.AssetKey(["reports", "sop_report"])
SOP_KEY = dg.AssetKey(["marts", "kpi_sop_monthly"])
DEMAND_KEY = dg.AssetKey(["marts", "fct_demand_monthly"])
FORECAST_KEY = dg.AssetKey(["ml", "ml_demand_forecast_levels"])
HISTORY_MONTHS = 24  # actuals drawn before the forecast
SOP_MONTHS = 6

_READS = {
    "demand": """
        select product_family, cast(month as timestamp) as ds, cast(ordered_units as double precision) as y
        from marts.fct_demand_monthly where is_complete_month
    """,
    # The family level's own forecast and interval (not its regions' bounds summed, which is wider).
    "forecast": """
        select unique_id as product_family, cast(ds as timestamp) as ds, horizon, yhat, yhat_lo, yhat_hi, level,
               created_at
        from ml.ml_demand_forecast_levels where hierarchy_level = 'product_family'
    """,
    "calibration": "select * from ml.ml_win_probability_calibration",
    "pipeline": "select * from ml.ml_pipeline_forecast",
    "sop": """
        select month, product_family, demand_plan_units, capacity_units, opening_stock_units, risk_level,
               weighted_pipeline_amount, expected_bookings_amount
        from marts.kpi_sop_monthly order by month, product_family
    """,
}


def report_path(salesops: SalesopsHome) -> Path:
    return salesops.paths.home / "reports" / "sop_report.html"


def forecast_svgs(demand: pd.DataFrame, forecast: pd.DataFrame) -> dict[str, str]:
    """One forecast-vs-actual chart per product family (the last HISTORY_MONTHS of actuals)."""
    level = int(forecast["level"].iloc[0]) if len(forecast) else 80
    charts = {}
    for family, series in family_series(demand, forecast).items():
        start = series.actual["ds"].max() - pd.DateOffset(months=HISTORY_MONTHS - 1) if len(series.actual) else pd.Timestamp.min
        actual = series.actual[series.actual["ds"] >= start]
        past = series.past[series.past["ds"] >= start]
        charts[family] = forecast_chart(f"{family}: ordered units per month", actual, series.ahead, past, level=level)
    return charts


def coming_months(sop: pd.DataFrame, forecast: pd.DataFrame) -> pd.DataFrame:
    """The S&OP rows of the SOP_MONTHS months after the latest forecast's as-of month."""
    latest = forecast[forecast["created_at"] == forecast["created_at"].max()]
    first = latest["ds"].min() if len(latest) else pd.Timestamp(sop["month"].max())
    months = sorted(m for m in pd.to_datetime(sop["month"]).unique() if m >= first)[:SOP_MONTHS]
    return sop[pd.to_datetime(sop["month"]).isin(months)].reset_index(drop=True)


def report_assets() -> list[dg.AssetsDefinition]:
    return [sop_report]


@dg.asset(
    key=REPORT_KEY,
    deps=[SOP_KEY, DEMAND_KEY, FORECAST_KEY, PIPELINE_KEY, CALIBRATION_KEY],
    group_name="bi",
    kinds={"html"},
    description="The S&OP report a planner opens in a browser ($SALESOPS_HOME/reports/sop_report.html): forecast vs actual per family, expected bookings, win-probability calibration, the coming months.",
    pool=WAREHOUSE_POOL,  # reads the warehouse: not while a writer holds it
)
def sop_report(salesops: SalesopsHome) -> dg.MaterializeResult:
    warehouse = salesops.warehouse
    frames = {name: warehouse.read_frame(sql) for name, sql in _READS.items()}
    forecast_charts = forecast_svgs(frames["demand"], frames["forecast"])
    calibration = frames["calibration"]
    pipeline = frames["pipeline"]
    as_of = pd.Timestamp(pipeline["as_of"].iloc[0]) if len(pipeline) else pd.Timestamp.now()
    bookings = pipeline_svg(pipeline, as_of) if len(pipeline) else ""
    calibration_chart = calibration_svg(calibration) if len(calibration) else ""
    brier = calibration.drop_duplicates("forecaster")[["forecaster", "brier_score", "test_rows", "train_rows", "cutoff"]] if len(calibration) else pd.DataFrame()
    sections = [
        (
            "The coming months", "Demand plan against capacity and stock per product family (kpi_sop_monthly), with the open pipeline weighted by the CRM's stage probability and by the win-probability model.",
            table_html(coming_months(frames["sop"], frames["forecast"])),
        ),
        (
            "Demand forecast against orders", "Units ordered per month (complete months), the latest forecast with its interval (the family's regions summed), and where an earlier run forecast a past month one month ahead, that forecast as a dot.",
            '<div class="charts">' + "".join(forecast_charts.values()) + "</div>",
        ),
        ("Open pipeline: expected bookings", f"Opportunities open on {as_of:%Y-%m-%d} by expected close month, all families.", bookings),
        (
            "Win probability: is it calibrated?", "Trained on deals closed before the cutoff, tested on every opportunity open at the month starts after it. On the diagonal a predicted 30 % wins 30 % of the time; lower Brier is better.",
            calibration_chart + (table_html(brier, {"brier_score": "{:.4f}"}) if len(brier) else "<p>Too few closed deals to validate.</p>"),
        ),
    ]
    generated = datetime.now(UTC)
    html = render_report("S&OP report", f"Generated {generated:%Y-%m-%d %H:%M} UTC from {warehouse.describe()}.", sections)
    path = report_path(salesops)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)  # a browser never sees half a page
    pictures = "\n\n".join(markdown_image(svg, f"{family} forecast vs actual") for family, svg in forecast_charts.items())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "bytes": len(html.encode()),
            "forecast_vs_actual": dg.MetadataValue.md(pictures or "no demand forecast yet"),
            "calibration": dg.MetadataValue.md(markdown_image(calibration_chart, "calibration curve") if calibration_chart else "not validated"),
        }
    )
