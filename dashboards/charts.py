"""The Altair charts of the dashboards (interactive: tooltips, zoom and pan where it helps).

Column names chosen by users (sweep axes named after dotted paths, say) are renamed to plain
internal fields before charting, because Altair reads dots in a field name as nesting; the
axis titles keep the user's names.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd


def _is_numeric(values: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(values)) and not pd.api.types.is_bool_dtype(values)


def _labels(values: list[Any]) -> list[str]:
    return [str(v) for v in values]


def availability_chart(frame: pd.DataFrame) -> alt.Chart:
    """Mean free EV bays by local hour of day, one line per run."""
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("hour:O", title="hour of day (site time)"),
        y=alt.Y("mean_free_ev_bays:Q", title="mean free EV bays"),
        color=alt.Color("run:N", title="run"),
        tooltip=["run", "hour", alt.Tooltip("mean_free_ev_bays:Q", format=".2f"), "samples"],
    ).interactive(bind_y=False)


def sweep_heatmap(frame: pd.DataFrame, x: str, y: str, metric: str,
                  x_order: list[Any], y_order: list[Any]) -> alt.LayerChart:
    """Mean of ``metric`` in every (x, y) cell, the interval and run count in the tooltip."""
    data = pd.DataFrame({"x": frame[x].astype(str), "y": frame[y].astype(str), "mean": frame["mean"],
                         "ci_low": frame["ci_low"], "ci_high": frame["ci_high"], "n": frame["n"]})
    base = alt.Chart(data).encode(
        x=alt.X("x:O", title=x, sort=_labels(x_order)),
        y=alt.Y("y:O", title=y, sort=_labels(y_order)),
    )
    tooltip = [alt.Tooltip("x:O", title=x), alt.Tooltip("y:O", title=y),
               alt.Tooltip("mean:Q", title=f"{metric} (mean)", format=".4g"),
               alt.Tooltip("ci_low:Q", title="95% CI low", format=".4g"),
               alt.Tooltip("ci_high:Q", title="95% CI high", format=".4g"), alt.Tooltip("n:Q", title="runs")]
    cells = base.mark_rect().encode(color=alt.Color("mean:Q", title=metric, scale=alt.Scale(scheme="viridis")),
                                    tooltip=tooltip)
    text = base.mark_text(baseline="middle", fontSize=11).encode(
        text=alt.Text("mean:Q", format=".3g"),
        color=alt.value("white"),
        tooltip=tooltip,
    )
    return alt.layer(cells, text)


def sweep_lines(frame: pd.DataFrame, x: str, series: str | None, metric: str,
                x_order: list[Any], series_order: list[Any]) -> alt.LayerChart:
    """``metric`` against one axis, one line per value of another, with 95% interval error bars."""
    numeric_x = _is_numeric(frame[x])
    data = pd.DataFrame({"x": frame[x] if numeric_x else frame[x].astype(str),
                         "series": frame[series].astype(str) if series else "all",
                         "mean": frame["mean"], "ci_low": frame["ci_low"], "ci_high": frame["ci_high"],
                         "n": frame["n"]})
    x_enc = alt.X("x:Q", title=x) if numeric_x else alt.X("x:O", title=x, sort=_labels(x_order))
    color = alt.Color("series:N", title=series or "", sort=_labels(series_order))
    tooltip = [alt.Tooltip("x", title=x), alt.Tooltip("series:N", title=series or ""),
               alt.Tooltip("mean:Q", title=f"{metric} (mean)", format=".4g"),
               alt.Tooltip("ci_low:Q", title="95% CI low", format=".4g"),
               alt.Tooltip("ci_high:Q", title="95% CI high", format=".4g"), alt.Tooltip("n:Q", title="runs")]
    base = alt.Chart(data).encode(x=x_enc, color=color)
    lines = base.mark_line(point=True).encode(y=alt.Y("mean:Q", title=metric), tooltip=tooltip)
    bars = base.mark_errorbar(ticks=True).encode(y=alt.Y("ci_low:Q", title=metric), y2="ci_high:Q",
                                                 tooltip=tooltip)
    return alt.layer(bars, lines).interactive(bind_x=False)


def condition_heatmap(frame: pd.DataFrame, metric: str) -> alt.LayerChart:
    """Degradation type × severity, coloured by an OCR metric (0-1), the value written in the cell."""
    data = frame.assign(severity=frame["severity"].astype(int))
    base = alt.Chart(data).encode(
        x=alt.X("severity:O", title="severity (0 = clean)"),
        y=alt.Y("condition:N", title="degradation"),
    )
    tooltip = ["condition", "severity", "images", alt.Tooltip("value:Q", title=metric, format=".1%")]
    rect = base.mark_rect().encode(
        color=alt.Color("value:Q", title=metric, scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1],
                                                                 reverse=metric in ("dangerous_read_rate",
                                                                                    "misread_rate",
                                                                                    "noread_rate"))),
        tooltip=tooltip)
    text = base.mark_text(baseline="middle", fontSize=11).encode(text=alt.Text("value:Q", format=".0%"),
                                                                 tooltip=tooltip)
    return alt.layer(rect, text)


def confusion_bars(pairs: pd.DataFrame, top: int = 20) -> alt.Chart:
    """The most frequent truth → read character confusions."""
    data = pairs.head(top)
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("count:Q", title="times"),
        y=alt.Y("pair:N", title="truth → read", sort="-x"),
        tooltip=["truth", "read", "count"],
    )
