"""Small self-contained SVG charts (no plotting library, no network): forecast against actuals with
its interval, a calibration curve, and expected bookings against the CRM-weighted pipeline.

Each function returns an ``<svg>`` string; :func:`markdown_image` wraps one as a Markdown image with
a data URI, the form the Dagster UI renders in asset metadata.
"""

from __future__ import annotations

import base64
import math
from html import escape

import pandas as pd

WIDTH, HEIGHT = 640, 300
MARGIN = {"left": 64, "right": 16, "top": 34, "bottom": 40}
COLORS = {"actual": "#1f2937", "forecast": "#2563eb", "band": "#bfdbfe", "past": "#ea580c", "crm": "#9ca3af", "model": "#2563eb"}
FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="11"'


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 × 10^k apart) covering [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high) or high <= low:
        return [low] if math.isfinite(low) else [0.0]
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    return [first + i * step for i in range(int(math.ceil((high - first) / step)) + 1)]


def markdown_image(svg: str, alt: str) -> str:
    """The SVG as a Markdown image with a base64 data URI."""
    return f"![{alt}](data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()})"


class _Frame:
    """Maps data coordinates to the plot area of one chart."""

    def __init__(self, x_range: tuple[float, float], y_range: tuple[float, float], width: int = WIDTH, height: int = HEIGHT) -> None:
        self.width, self.height = width, height
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range

    def x(self, value: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return MARGIN["left"] + (value - self.x0) / span * (self.width - MARGIN["left"] - MARGIN["right"])

    def y(self, value: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return self.height - MARGIN["bottom"] - (value - self.y0) / span * (self.height - MARGIN["top"] - MARGIN["bottom"])

    def points(self, xs, ys) -> str:
        return " ".join(f"{self.x(a):.1f},{self.y(b):.1f}" for a, b in zip(xs, ys, strict=True) if pd.notna(b))


def _svg(frame: _Frame, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{frame.width}" height="{frame.height}" viewBox="0 0 {frame.width} {frame.height}" {FONT}>'
        f'<rect width="{frame.width}" height="{frame.height}" fill="white"/>'
        f'<text x="{MARGIN["left"]}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def _y_axis(frame: _Frame, ticks: list[float], label_format: str = "{:,.0f}") -> list[str]:
    parts = []
    for tick in ticks:
        y = frame.y(tick)
        parts.append(f'<line x1="{MARGIN["left"]}" x2="{frame.width - MARGIN["right"]}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{MARGIN["left"] - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(label_format.format(tick))}</text>')
    return parts


def _legend(frame: _Frame, entries: list[tuple[str, str, str]]) -> list[str]:
    """Entries of (label, color, kind) with kind line, dash, band or dot, right-aligned in the title row."""
    parts, x = [], frame.width - MARGIN["right"]
    for label, color, kind in reversed(entries):
        x -= int(6.5 * len(label)) + 34
        if kind == "band":
            parts.append(f'<rect x="{x}" y="11" width="18" height="9" fill="{color}"/>')
        elif kind == "dot":
            parts.append(f'<circle cx="{x + 9}" cy="15" r="3.5" fill="{color}"/>')
        else:
            dash = ' stroke-dasharray="5,3"' if kind == "dash" else ""
            parts.append(f'<line x1="{x}" x2="{x + 18}" y1="15" y2="15" stroke="{color}" stroke-width="2"{dash}/>')
        parts.append(f'<text x="{x + 22}" y="19">{escape(label)}</text>')
    return parts


def forecast_chart(title: str, actual: pd.DataFrame, forecast: pd.DataFrame, past: pd.DataFrame | None = None, level: int = 80) -> str:
    """Monthly actuals (``ds``, ``y``), the forecast ahead (``ds``, ``yhat``, ``yhat_lo``, ``yhat_hi``)
    as a dashed line in its shaded interval, and earlier forecasts of past months (``ds``, ``yhat``) as dots."""
    past = past if past is not None else pd.DataFrame(columns=["ds", "yhat"])
    months = sorted(set(actual["ds"]) | set(forecast["ds"]) | set(past["ds"]))
    index = {month: i for i, month in enumerate(months)}
    values = pd.concat([actual["y"], forecast["yhat_hi"], forecast["yhat"], past["yhat"]]).astype(float).dropna()
    ticks = nice_ticks(0.0, float(values.max()) if len(values) else 1.0)
    frame = _Frame((0, max(len(months) - 1, 1)), (0.0, ticks[-1]))
    body = _y_axis(frame, ticks)
    step = max(1, len(months) // 8)
    for month, i in index.items():
        if i % step == 0:
            body.append(f'<text x="{frame.x(i):.1f}" y="{frame.height - MARGIN["bottom"] + 16}" text-anchor="middle">{pd.Timestamp(month):%Y-%m}</text>')
    if len(forecast):
        xs = [index[m] for m in forecast["ds"]]
        band = frame.points(xs, forecast["yhat_hi"]) + " " + frame.points(xs[::-1], forecast["yhat_lo"].iloc[::-1])
        body.append(f'<polygon points="{band}" fill="{COLORS["band"]}" stroke="none"/>')
        body.append(f'<polyline points="{frame.points(xs, forecast["yhat"])}" fill="none" stroke="{COLORS["forecast"]}" stroke-width="2" stroke-dasharray="5,3"/>')
    body.append(f'<polyline points="{frame.points([index[m] for m in actual["ds"]], actual["y"])}" fill="none" stroke="{COLORS["actual"]}" stroke-width="2"/>')
    for month, value in zip(past["ds"], past["yhat"], strict=True):
        body.append(f'<circle cx="{frame.x(index[month]):.1f}" cy="{frame.y(value):.1f}" r="3" fill="{COLORS["past"]}"/>')
    legend = [("actual", COLORS["actual"], "line"), ("forecast", COLORS["forecast"], "dash"), (f"{level} % interval", COLORS["band"], "band")]
    if len(past):
        legend.append(("forecast 1 month before", COLORS["past"], "dot"))
    return _svg(frame, title, body + _legend(frame, legend))


def calibration_chart(title: str, curves: pd.DataFrame, labels: dict[str, str]) -> str:
    """Observed win rate against mean predicted probability per bin (``forecaster``,
    ``mean_predicted``, ``observed_rate``, ``n``), one line per forecaster in ``labels`` order; the
    diagonal is perfect calibration. Dot area grows with the bin's rows."""
    size = 360
    frame = _Frame((0.0, 1.0), (0.0, 1.0), width=size + MARGIN["left"] + MARGIN["right"] - 40, height=size)
    ticks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    body = _y_axis(frame, ticks, "{:.0%}")
    for tick in ticks:
        body.append(f'<text x="{frame.x(tick):.1f}" y="{frame.height - MARGIN["bottom"] + 16}" text-anchor="middle">{tick:.0%}</text>')
    body.append(f'<text x="{frame.x(0.5):.1f}" y="{frame.height - 6}" text-anchor="middle">predicted win probability</text>')
    body.append(f'<line x1="{frame.x(0):.1f}" y1="{frame.y(0):.1f}" x2="{frame.x(1):.1f}" y2="{frame.y(1):.1f}" stroke="#9ca3af" stroke-dasharray="3,3"/>')
    largest = max(float(curves["n"].max()) if len(curves) else 1.0, 1.0)
    entries = []
    for color, (forecaster, label) in zip((COLORS["model"], COLORS["past"], COLORS["crm"]), labels.items(), strict=False):
        curve = curves[curves["forecaster"] == forecaster].sort_values("mean_predicted")
        body.append(f'<polyline points="{frame.points(curve["mean_predicted"], curve["observed_rate"])}" fill="none" stroke="{color}" stroke-width="2"/>')
        for p, o, n in zip(curve["mean_predicted"], curve["observed_rate"], curve["n"], strict=True):
            body.append(f'<circle cx="{frame.x(p):.1f}" cy="{frame.y(o):.1f}" r="{2 + 5 * math.sqrt(n / largest):.1f}" fill="{color}" fill-opacity="0.7"><title>{n} rows</title></circle>')
        entries.append((label, color))
    for i, (label, color) in enumerate(entries):  # legend inside the plot, top left
        y = MARGIN["top"] + 12 + 16 * i
        body.append(f'<line x1="{frame.x(0.03):.1f}" x2="{frame.x(0.03) + 18:.1f}" y1="{y - 4}" y2="{y - 4}" stroke="{color}" stroke-width="2"/>')
        body.append(f'<text x="{frame.x(0.03) + 22:.1f}" y="{y}">{escape(label)}</text>')
    return _svg(frame, title, body)


def bookings_chart(title: str, pipeline: pd.DataFrame) -> str:
    """Per month (``month``, ``crm_weighted_amount``, ``expected_bookings_amount``,
    ``expected_bookings_lo``, ``expected_bookings_hi``): grey bars of the CRM-weighted pipeline
    beside blue bars of the model's expected bookings with their interval as a whisker."""
    months = list(pipeline["month"])
    top = float(pd.concat([pipeline["crm_weighted_amount"], pipeline["expected_bookings_hi"]]).max()) if len(pipeline) else 1.0
    ticks = nice_ticks(0.0, top)
    frame = _Frame((-0.5, max(len(months), 1) - 0.5), (0.0, ticks[-1]))
    body = _y_axis(frame, ticks)
    slot = (frame.x(1) - frame.x(0)) if len(months) > 1 else 200.0
    bar = min(slot * 0.35, 40.0)
    for i, row in enumerate(pipeline.itertuples(index=False)):
        centre = frame.x(i)
        for offset, value, color in ((-bar, row.crm_weighted_amount, COLORS["crm"]), (0.0, row.expected_bookings_amount, COLORS["model"])):
            body.append(f'<rect x="{centre + offset:.1f}" y="{frame.y(value):.1f}" width="{bar:.1f}" height="{frame.y(0) - frame.y(value):.1f}" fill="{color}"/>')
        whisker = centre + bar / 2
        body.append(f'<line x1="{whisker:.1f}" x2="{whisker:.1f}" y1="{frame.y(row.expected_bookings_lo):.1f}" y2="{frame.y(row.expected_bookings_hi):.1f}" stroke="{COLORS["actual"]}"/>')
        body.append(f'<text x="{centre:.1f}" y="{frame.height - MARGIN["bottom"] + 16}" text-anchor="middle">{pd.Timestamp(months[i]):%Y-%m}</text>')
    legend = [("CRM-weighted", COLORS["crm"], "band"), ("model (80 % interval)", COLORS["model"], "band")]
    return _svg(frame, title, body + _legend(frame, legend))
