"""The report's per-family frames (exact sums, vintage choice) and its charts (well-formed SVG that
draws what it is given)."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pandas as pd

from ml.charts import bookings_chart, calibration_chart, forecast_chart, markdown_image, nice_ticks
from ml.sop_report import family_series, render_report, table_html

SVG = "{http://www.w3.org/2000/svg}"
T = pd.Timestamp


def demand_and_forecast() -> tuple[pd.DataFrame, pd.DataFrame]:
    demand = pd.DataFrame(
        {
            "product_family": ["Bike", "Bike", "Bike", "Bike", "Parts"],
            "ds": [T("2025-01-01"), T("2025-01-01"), T("2025-02-01"), T("2025-02-01"), T("2025-02-01")],
            "y": [10.0, 5.0, 12.0, 6.0, 100.0],  # two regions of Bike
        }
    )
    older, newer = T("2025-02-01 06:00"), T("2025-03-01 06:00")
    forecast = pd.DataFrame(
        [
            # run of February (as of January): Bike's two regions one month ahead
            ("Bike", T("2025-02-01"), 1, 11.0, 9.0, 13.0, T("2025-01-02 06:00")),
            ("Bike", T("2025-02-01"), 1, 7.0, 6.0, 8.0, T("2025-01-02 06:00")),
            # a later run on the same month (kept: latest of the horizon-1 runs for February)
            ("Bike", T("2025-02-01"), 1, 20.0, 18.0, 22.0, older),
            ("Bike", T("2025-03-01"), 1, 14.0, 10.0, 18.0, newer),
            ("Bike", T("2025-03-01"), 1, 8.0, 7.0, 9.0, newer),
            ("Bike", T("2025-04-01"), 2, 15.0, 9.0, 21.0, newer),
            ("Parts", T("2025-03-01"), 1, 90.0, 80.0, 100.0, newer),
        ],
        columns=["product_family", "ds", "horizon", "yhat", "yhat_lo", "yhat_hi", "created_at"],
    )
    return demand, forecast


def test_family_series_sums_regions_takes_the_latest_run_ahead_and_the_latest_one_month_ahead_before() -> None:
    series = family_series(*demand_and_forecast())
    assert sorted(series) == ["Bike", "Parts"]
    bike = series["Bike"]
    assert bike.actual.to_dict("list") == {"ds": [T("2025-01-01"), T("2025-02-01")], "y": [15.0, 18.0]}
    assert bike.ahead.to_dict("list") == {
        "ds": [T("2025-03-01"), T("2025-04-01")], "yhat": [22.0, 15.0], "yhat_lo": [17.0, 9.0], "yhat_hi": [27.0, 21.0],
    }
    # February was forecast one month ahead by two runs: the later one counts; March is not past yet
    assert bike.past.to_dict("list") == {"ds": [T("2025-02-01")], "yhat": [20.0]}
    assert series["Parts"].past.empty and series["Parts"].ahead["yhat"].tolist() == [90.0]


def test_forecast_chart_draws_actuals_forecast_band_and_past_forecasts() -> None:
    series = family_series(*demand_and_forecast())["Bike"]
    svg = forecast_chart("Bike: ordered units", series.actual, series.ahead, series.past)
    root = ET.fromstring(svg)
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 2 and len(lines[1].get("points").split()) == 2  # forecast then actual, two months each
    band = root.find(f"{SVG}polygon").get("points").split()
    assert len(band) == 4  # upper bounds forward, lower bounds back
    assert len(root.findall(f"{SVG}circle")) == 1 + 1  # the past forecast and its legend dot
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Bike: ordered units" in texts and "2025-01" in texts and "2025-04" in texts


def test_calibration_chart_has_one_line_per_forecaster_and_a_dot_per_bin() -> None:
    curves = pd.DataFrame(
        {
            "forecaster": ["model", "model", "crm"],
            "mean_predicted": [0.1, 0.7, 0.4],
            "observed_rate": [0.12, 0.66, 0.3],
            "n": [100, 50, 80],
        }
    )
    root = ET.fromstring(calibration_chart("Calibration", curves, {"model": "model, Brier 0.1", "crm": "CRM, Brier 0.2"}))
    assert len(root.findall(f"{SVG}polyline")) == 2 and len(root.findall(f"{SVG}circle")) == 3
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "model, Brier 0.1" in texts and "CRM, Brier 0.2" in texts


def test_bookings_chart_and_markdown_image() -> None:
    pipeline = pd.DataFrame(
        {
            "month": [T("2025-03-01"), T("2025-04-01")], "crm_weighted_amount": [100.0, 50.0],
            "expected_bookings_amount": [80.0, 60.0], "expected_bookings_lo": [60.0, 40.0], "expected_bookings_hi": [100.0, 80.0],
        }
    )
    svg = bookings_chart("Bookings", pipeline)
    root = ET.fromstring(svg)
    assert len(root.findall(f"{SVG}rect")) == 1 + 4 + 2  # background, two bars a month, legend swatches
    image = markdown_image(svg, "bookings")
    assert image.startswith("![bookings](data:image/svg+xml;base64,")
    assert base64.b64decode(image.split(",", 1)[1][:-1]).decode() == svg
    assert nice_ticks(0, 95) == [0, 50, 100] and nice_ticks(0, 2_300_000) == [0, 1_000_000, 2_000_000, 3_000_000]


def test_report_is_one_self_contained_page() -> None:
    table = table_html(pd.DataFrame({"month": [T("2025-03-01")], "product_family": ["Bike <&>"], "units": [1234.5]}))
    assert "<td>2025-03-01</td><td>Bike &lt;&amp;&gt;</td><td>1,234</td>" in table  # 1234.5 rounds half to even
    html = render_report("S&OP", "note", [("Table", "why", table), ("Chart", "", "<svg></svg>")])
    assert html.startswith("<!DOCTYPE html>") and html.count("<h2>") == 2
    assert "<title>S&amp;OP</title>" in html and "http" not in html and "<script" not in html
