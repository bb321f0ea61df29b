"""The S&OP report: one self-contained HTML page (inline SVG charts, inline CSS, no script, no
network) a planner opens in a browser, and the per-family frames its forecast charts draw."""

from __future__ import annotations

from dataclasses import dataclass
import numbers
from html import escape

import numpy as np
import pandas as pd

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1360px; color: #111827; }
h1 { font-size: 22px; margin-bottom: 2px; } h2 { font-size: 17px; margin-top: 30px; border-bottom: 1px solid #e5e7eb; }
p.note { color: #4b5563; font-size: 13px; max-width: 900px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
table { border-collapse: collapse; font-size: 12px; } th, td { padding: 3px 8px; border-bottom: 1px solid #e5e7eb; text-align: right; }
th { background: #f3f4f6; } td:first-child, td:nth-child(2), th:first-child, th:nth-child(2) { text-align: left; }
"""


@dataclass(frozen=True)
class FamilySeries:
    """What one family's forecast chart draws: actual units per month, the latest forecast ahead with
    its interval, and for past months the forecast made one month before (when a vintage exists)."""

    actual: pd.DataFrame  # ds, y
    ahead: pd.DataFrame  # ds, yhat, yhat_lo, yhat_hi
    past: pd.DataFrame  # ds, yhat


def family_series(demand: pd.DataFrame, forecast: pd.DataFrame) -> dict[str, FamilySeries]:
    """Per product family, from ``fct_demand_monthly`` rows (``product_family``, ``ds``, ``y``, complete
    months) and ``ml_demand_forecast`` vintages (``product_family``, ``ds``, ``horizon``, ``yhat``,
    ``yhat_lo``, ``yhat_hi``, ``created_at``), rows of one family and month summed. Give it the
    family level's own forecasts: summed regions' bounds make a wider interval than the family's."""
    actual = demand.groupby(["product_family", "ds"], as_index=False)["y"].sum()
    latest = forecast[forecast["created_at"] == forecast["created_at"].max()]
    ahead = latest.groupby(["product_family", "ds"], as_index=False)[["yhat", "yhat_lo", "yhat_hi"]].sum()
    one_ahead = forecast[forecast["horizon"] == 1]
    one_ahead = one_ahead[one_ahead["created_at"] == one_ahead.groupby("ds")["created_at"].transform("max")]
    past = one_ahead.groupby(["product_family", "ds"], as_index=False)["yhat"].sum()
    past = past[past["ds"] <= (actual["ds"].max() if len(actual) else pd.Timestamp.min)]
    families = sorted(set(actual["product_family"]) | set(ahead["product_family"]))
    return {
        family: FamilySeries(
            actual=actual[actual["product_family"] == family][["ds", "y"]].reset_index(drop=True),
            ahead=ahead[ahead["product_family"] == family][["ds", "yhat", "yhat_lo", "yhat_hi"]].reset_index(drop=True),
            past=past[past["product_family"] == family][["ds", "yhat"]].reset_index(drop=True),
        )
        for family in families
    }


def table_html(frame: pd.DataFrame, formats: dict[str, str] | None = None) -> str:
    """A plain HTML table of ``frame``, numbers formatted per column (``{:,.0f}`` by default)."""
    formats = formats or {}
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, record, strict=True):
            if pd.isna(value):
                text = ""
            elif isinstance(value, pd.Timestamp):
                text = f"{value:%Y-%m-%d}"
            elif isinstance(value, numbers.Number) and not isinstance(value, bool | np.bool_):
                text = formats.get(column, "{:,.0f}").format(value)
            else:
                text = str(value)
            cells.append(f"<td>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_report(title: str, subtitle: str, sections: list[tuple[str, str, str]]) -> str:
    """The page: ``sections`` of (heading, explanatory note, HTML body: charts and tables)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1><p class=\"note\">{escape(subtitle)}</p>",
    ]
    for heading, note, body in sections:
        parts.append(f"<h2>{escape(heading)}</h2>")
        if note:
            parts.append(f'<p class="note">{escape(note)}</p>')
        parts.append(body)
    parts.append("</body></html>")
    return "\n".join(parts)
