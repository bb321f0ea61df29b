"""`make bench-forecast`: the forecaster against seasonal naive and statsforecast's AutoETS, and its speed.

Dev-only (dependency group ``bench``): statsforecast, statsmodels and pmdarima are imported here and
nowhere in production code. Data: the demo company's family × region series (our forecaster
forecasting their product × region series and reconciling, as the asset does), and real monthly
series bundled inside PyPI packages (no download). Rolling-origin backtest, horizons 1 to 6;
the table goes into docs/forecasting.md between the ``bench:`` markers.
"""

from __future__ import annotations

import os
import re
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ml.backtest import accuracy_table, backtest
from ml.baselines import seasonal_naive
from ml.forecasting import MODEL_NAME, forecast
from ml.synthetic import make_panel

HORIZON = 6
LEVELS = [80, 95]
DOC = Path(__file__).resolve().parents[2] / "docs" / "forecasting.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def autoets(df: pd.DataFrame, horizon: int, level=80) -> pd.DataFrame:
    """statsforecast's AutoETS (season 12) per series, with its own 80 % and 95 % intervals."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    levels = list(level) if isinstance(level, (list, tuple)) else [level]
    fitted = StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=1)
    out = fitted.forecast(df=df[["unique_id", "ds", "y"]], h=horizon, level=levels).reset_index(drop=True)
    frame = pd.DataFrame({"unique_id": out["unique_id"], "ds": out["ds"], "yhat": out["AutoETS"]})
    for lvl in levels:
        frame[f"yhat_lo_{lvl}"], frame[f"yhat_hi_{lvl}"] = out[f"AutoETS-lo-{lvl}"], out[f"AutoETS-hi-{lvl}"]
    frame["yhat_lo"], frame["yhat_hi"] = frame[f"yhat_lo_{levels[0]}"], frame[f"yhat_hi_{levels[0]}"]
    return frame


def real_monthly_series(last_months: int = 240) -> pd.DataFrame:
    """Monthly series shipped inside statsmodels and pmdarima, each cut to its last ``last_months`` months."""
    import pmdarima.datasets as pm
    import statsmodels.api as sm
    from statsmodels.datasets import elec_equip

    frames = {}
    co2 = sm.datasets.co2.load_pandas().data["co2"].resample("MS").mean().interpolate()
    frames["co2 (statsmodels, weekly → monthly mean)"] = co2
    elnino = sm.datasets.elnino.load_pandas().data
    months = elnino.columns[1:]
    values = elnino[months].to_numpy().ravel()
    frames["elnino sea temperature (statsmodels)"] = pd.Series(
        values, index=pd.date_range(f"{int(elnino['YEAR'].iloc[0])}-01-01", periods=len(values), freq="MS")
    )
    equip = elec_equip.load().data.iloc[:, 0]
    frames["elec_equip orders (statsmodels)"] = pd.Series(equip.to_numpy(), index=pd.date_range("1995-01-01", periods=len(equip), freq="MS"))
    for name, start in (("airpassengers", "1949-01-01"), ("wineind", "1980-01-01"), ("sunspots", "1749-01-01")):
        s = getattr(pm, f"load_{name}")(as_series=True)
        frames[f"{name} (pmdarima)"] = pd.Series(s.to_numpy(dtype=float), index=pd.date_range(start, periods=len(s), freq="MS"))
    rows = []
    for name, series in frames.items():
        # cut to the last full calendar year, then move whole years so every series ends in Dec 2020:
        # one set of backtest origins for all, and each month keeps its calendar month
        series = series[: series.index[series.index.month == 12][-1]].iloc[-last_months:]
        shift = pd.DateOffset(years=2020 - series.index[-1].year)
        rows.append(pd.DataFrame({"unique_id": name, "ds": series.index + shift, "y": series.to_numpy(dtype=float)}))
    return pd.concat(rows, ignore_index=True)


def demo_company_products() -> pd.DataFrame:
    """The demo company's product × region demand (as ``fct_demand_product_monthly``), with family and region."""
    from demo_company import DemoConfig, simulate
    from demo_company.catalog import FAMILIES

    end = date(2025, 12, 31)
    lines = simulate(DemoConfig(seed=42, scale=1.0, start=date(2023, 1, 1), end=end)).sales.lines
    lines = lines[lines["order_date"] <= pd.Timestamp(end)]
    lines = lines.assign(
        product_family=lines["family"].map(lambda f: FAMILIES[int(f)].name),
        unique_id=lines["product"].astype(str) + " | " + lines["region"],
        ds=lines["order_date"].dt.to_period("M").dt.to_timestamp(),
    )
    keys = ["unique_id", "product_family", "region", "ds"]
    return lines.groupby(keys, as_index=False)["quantity"].sum().rename(columns={"quantity": "y"})


def family_region_series(products: pd.DataFrame) -> pd.DataFrame:
    """Product × region demand summed to the 15 family × region series (``fct_demand_monthly``)."""
    pairs = products.assign(unique_id=products["product_family"] + " | " + products["region"])
    return pairs.groupby(["unique_id", "ds"], as_index=False)["y"].sum()


def as_the_asset_forecasts(products: pd.DataFrame, reconciliation: str):
    """``global_gbm`` as the asset runs it: product × region bottoms, reconciled; its family × region rows.

    A model for :func:`ml.backtest.backtest` on the family × region series: it forecasts the product
    series up to the same origin and returns the reconciled family × region level.
    """
    from orchestration.assets.ml import FAMILY_REGION, demand_hierarchy

    hierarchy = demand_hierarchy(products)

    def model(df: pd.DataFrame, horizon: int, level=80) -> pd.DataFrame:
        train = products[products["ds"] <= df["ds"].max()][["unique_id", "ds", "y"]]
        out = forecast(train, horizon, level=level, hierarchy=hierarchy, reconciliation=reconciliation)
        return out[out["hierarchy_level"] == FAMILY_REGION].drop(columns="hierarchy_level")

    return model


def compare(df: pd.DataFrame, n_origins: int, step: int, ours: dict | None = None) -> pd.DataFrame:
    models = {**(ours or {MODEL_NAME: forecast}), "AutoETS": autoets, "seasonal_naive": seasonal_naive}
    errors = backtest(df, HORIZON, n_origins, level=LEVELS, models=models, step=step)
    per_series = errors.groupby(["model", "unique_id"]).apply(
        lambda g: np.mean(g["abs_error"] / g["mase_scale"]), include_groups=False
    )
    table = accuracy_table(errors, by_horizon=False).set_index("model")
    table["mean_mase"] = per_series.groupby("model").mean()
    return table[["mean_mase", "wape", "bias", "coverage_80", "coverage_95", "n_series", "n_points", "n_origins"]]


def speed(n_series: int = 2000, n_months: int = 36, n_origins: int = 3) -> dict:
    df = make_panel(n_series, n_months, seed=5)
    started = time.perf_counter()
    forecast(df, HORIZON, level=LEVELS)
    fit = time.perf_counter() - started
    started = time.perf_counter()
    backtest(df, HORIZON, n_origins, level=LEVELS, models={MODEL_NAME: forecast, "seasonal_naive": seasonal_naive})
    return {"fit": fit, "backtest": time.perf_counter() - started, "origins": n_origins, "load": os.getloadavg()}


def markdown(title: str, table: pd.DataFrame) -> str:
    lines = [f"**{title}**", "", "| model | mean MASE | WAPE | bias | 80 % coverage | 95 % coverage | series | points | origins |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for model, row in table.sort_values("mean_mase").iterrows():
        lines.append(
            f"| {model} | {row['mean_mase']:.3f} | {row['wape']:.3f} | {row['bias']:+.3f} | {row['coverage_80']:.3f} | "
            f"{row['coverage_95']:.3f} | {int(row['n_series'])} | {int(row['n_points'])} | {int(row['n_origins'])} |"
        )
    return "\n".join(lines)


def main() -> None:
    sections = []
    products = demo_company_products()
    ours = {f"{MODEL_NAME}_{method}": as_the_asset_forecasts(products, method) for method in ("mint_shrink", "bottom_up")}
    demo = compare(family_region_series(products), n_origins=6, step=1, ours=ours)
    title = "Demo company, 15 family × region series (global_gbm as the asset runs it: from 117 product × region series, reconciled), 6 origins one month apart"
    sections.append(markdown(title, demo))
    real = real_monthly_series()
    print(real.groupby("unique_id").size().to_string(), file=sys.stderr)
    table = compare(real, n_origins=12, step=3)
    sections.append(markdown(f"{real['unique_id'].nunique()} real monthly series bundled in statsmodels and pmdarima (last 240 months each), 12 origins three months apart", table))
    timing = speed()
    cores = os.cpu_count()
    sections.append(
        f"**Speed** (2,000 synthetic series × 36 months, {cores} cores, load average "
        f"{timing['load'][0]:.1f} during the run: the machine is shared, so timings are noisy): fit and "
        f"forecast {timing['fit']:.1f} s; backtest with {timing['origins']} origins {timing['backtest']:.1f} s; "
        f"fit + backtest {timing['fit'] + timing['backtest']:.1f} s (target 60 s)."
    )
    body = f"{START}\n_Written by `make bench-forecast` on {date.today():%Y-%m-%d}._\n\n" + "\n\n".join(sections) + f"\n{END}"
    print(body)
    text = DOC.read_text(encoding="utf-8")
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: body, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n## Benchmark\n\n" + body + "\n"
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
