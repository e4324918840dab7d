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
        x=alt.X("hour:Q", title="hour of day (site time)", scale=alt.Scale(domain=[0, 23]),
                axis=alt.Axis(tickCount=24, format="d")),
        y=alt.Y("mean_free_ev_bays:Q", title="mean free EV bays"),
        color=alt.Color("run:N", title="run", legend=alt.Legend(labelLimit=0, orient="bottom"),
                        scale=alt.Scale(scheme="tableau10")),
        tooltip=["run", "hour", alt.Tooltip("mean_free_ev_bays:Q", format=".2f"), "samples"],
    ).interactive(bind_y=False)


CELL_PX = 64  # a heatmap row or column tall enough for the mean and its interval on two lines


def _interval_label(mean: float, low: float, high: float) -> str:
    def num(value: float) -> str:
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"

    if pd.isna(mean):
        return "–"
    if pd.isna(low) or pd.isna(high):
        return num(mean)
    return f"{num(mean)}\n[{num(low)}, {num(high)}]"


def sweep_heatmap(frame: pd.DataFrame, x: str, y: str, metric: str,
                  x_order: list[Any], y_order: list[Any]) -> alt.LayerChart:
    """Mean of ``metric`` in every (x, y) cell with its 95 % interval written under it, the run count
    in the tooltip; rows and columns sized to be read, a colour-blind-safe scale."""
    data = pd.DataFrame({"x": frame[x].astype(str), "y": frame[y].astype(str), "mean": frame["mean"],
                         "ci_low": frame["ci_low"], "ci_high": frame["ci_high"], "n": frame["n"]})
    data["label"] = [_interval_label(m, lo, hi) for m, lo, hi in zip(data["mean"], data["ci_low"], data["ci_high"])]
    middle = float(data["mean"].min() + data["mean"].max()) / 2 if data["mean"].notna().any() else 0.0
    base = alt.Chart(data).encode(
        x=alt.X("x:O", title=x, sort=_labels(x_order), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("y:O", title=y, sort=_labels(y_order)),
    )
    tooltip = [alt.Tooltip("x:O", title=x), alt.Tooltip("y:O", title=y),
               alt.Tooltip("mean:Q", title=f"{metric} (mean)", format=".4g"),
               alt.Tooltip("ci_low:Q", title="95% CI low", format=".4g"),
               alt.Tooltip("ci_high:Q", title="95% CI high", format=".4g"), alt.Tooltip("n:Q", title="runs")]
    cells = base.mark_rect().encode(color=alt.Color("mean:Q", title=metric, scale=alt.Scale(scheme="viridis")),
                                    tooltip=tooltip)
    text = base.mark_text(baseline="middle", fontSize=12, lineBreak="\n").encode(
        text="label:N",
        color=alt.condition(alt.datum.mean > middle, alt.value("black"), alt.value("white")),
        tooltip=tooltip,
    )
    return alt.layer(cells, text).properties(height=heatmap_height(data["y"].nunique()))


def heatmap_height(rows: int) -> int:
    """The plotting height a heatmap of ``rows`` needs to be read; the page hands the chart element
    this height plus room for the axis, since a stretched chart is otherwise drawn a few pixels tall."""
    return max(2, rows) * CELL_PX


def sweep_lines(frame: pd.DataFrame, x: str, series: str | None, metric: str,
                x_order: list[Any], series_order: list[Any]) -> alt.LayerChart:
    """``metric`` against one axis, one line per value of another, with 95% interval error bars.

    Zoom and pan are bound to the line layer only: bound on the layered chart, Vega-Lite gives each
    layer the same parameter and the chart refuses to draw (duplicate signal name)."""
    numeric_x = _is_numeric(frame[x])
    data = pd.DataFrame({"x": frame[x] if numeric_x else frame[x].astype(str),
                         "series": frame[series].astype(str) if series else "all",
                         "mean": frame["mean"], "ci_low": frame["ci_low"], "ci_high": frame["ci_high"],
                         "n": frame["n"]})
    x_enc = alt.X("x:Q", title=x) if numeric_x else alt.X("x:O", title=x, sort=_labels(x_order))
    color = alt.Color("series:N", title=series or "", sort=_labels(series_order),
                      scale=alt.Scale(scheme="tableau10"))
    tooltip = [alt.Tooltip("x", title=x), alt.Tooltip("series:N", title=series or ""),
               alt.Tooltip("mean:Q", title=f"{metric} (mean)", format=".4g"),
               alt.Tooltip("ci_low:Q", title="95% CI low", format=".4g"),
               alt.Tooltip("ci_high:Q", title="95% CI high", format=".4g"), alt.Tooltip("n:Q", title="runs")]
    base = alt.Chart(data).encode(x=x_enc, color=color)
    lines = base.mark_line(point=True).encode(y=alt.Y("mean:Q", title=metric, scale=alt.Scale(zero=False)),
                                              tooltip=tooltip)
    bars = base.mark_errorbar(ticks=True).encode(y=alt.Y("ci_low:Q", title=metric), y2="ci_high:Q",
                                                 tooltip=tooltip)
    return alt.layer(bars, lines.interactive(bind_x=False)).properties(height=360)


def pareto_chart(frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str,
                 size: str | None = None, size_title: str = "") -> alt.LayerChart:
    """Every cell on two objectives (means, 95 % intervals as bars in both directions), the cells
    no other beats on every objective at once marked and joined: the trade-off a planner picks from.
    ``frame`` holds ``setting``, ``front`` and ``<m>_mean``/``_ci_low``/``_ci_high`` per objective."""
    data = pd.DataFrame({"setting": frame["setting"], "front": frame["front"].map({True: "on the front",
                                                                                   False: "beaten"}),
                         "x": frame[f"{x}_mean"], "x_low": frame[f"{x}_ci_low"], "x_high": frame[f"{x}_ci_high"],
                         "y": frame[f"{y}_mean"], "y_low": frame[f"{y}_ci_low"], "y_high": frame[f"{y}_ci_high"]})
    if size:
        data["size"] = frame[f"{size}_mean"]
    tooltip = ["setting", "front", alt.Tooltip("x:Q", title=x_title, format=",.4g"),
               alt.Tooltip("y:Q", title=y_title, format=",.4g")] + (
        [alt.Tooltip("size:Q", title=size_title, format=",.4g")] if size else [])
    base = alt.Chart(data)
    x_enc = alt.X("x:Q", title=x_title, scale=alt.Scale(zero=False))
    y_enc = alt.Y("y:Q", title=y_title, scale=alt.Scale(zero=False))
    shape = alt.Shape("front:N", title="", scale=alt.Scale(domain=["on the front", "beaten"],
                                                           range=["diamond", "circle"]))
    colour = alt.Color("front:N", title="", scale=alt.Scale(domain=["on the front", "beaten"],
                                                            range=["#0072B2", "#999999"]))
    x_bars = base.mark_rule(opacity=0.5).encode(x=alt.X("x_low:Q", title=x_title), x2="x_high:Q", y=y_enc,
                                                color=colour)
    y_bars = base.mark_rule(opacity=0.5).encode(y=alt.Y("y_low:Q", title=y_title), y2="y_high:Q", x=x_enc,
                                                color=colour)
    front_line = base.transform_filter(alt.datum.front == "on the front").mark_line(
        color="#0072B2", strokeDash=[4, 3]).encode(x=x_enc, y=y_enc, order="x:Q")
    points = base.mark_point(filled=True, opacity=0.9).encode(
        x=x_enc, y=y_enc, color=colour, shape=shape, tooltip=tooltip,
        size=alt.Size("size:Q", title=size_title) if size else alt.value(120))
    return alt.layer(x_bars, y_bars, front_line, points).properties(height=420)


def condition_heatmap(frame: pd.DataFrame, metric: str) -> alt.LayerChart:
    """Degradation type × severity, coloured by an OCR rate (0-1) on a colour-blind-safe scale, each
    cell written as the rate, its 95 % Wilson interval and the images behind it. ``frame`` is
    ``ocr_view.with_intervals``'s: condition, severity, value, n, ci_low, ci_high."""
    from baytwin.dashboards.ocr_view import rate_label

    data = frame.assign(severity=frame["severity"].astype(int))
    data["label"] = [rate_label(v, lo, hi, int(n)) for v, lo, hi, n in
                     zip(data["value"], data["ci_low"], data["ci_high"], data["n"])]
    worse_high = metric in ("dangerous_read_rate", "misread_rate", "noread_rate")
    base = alt.Chart(data).encode(
        x=alt.X("severity:O", title="severity (0 = clean)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("condition:N", title="degradation"),
    )
    tooltip = ["condition", "severity", alt.Tooltip("n:Q", title="images"),
               alt.Tooltip("value:Q", title=metric, format=".1%"),
               alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
               alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%")]
    rect = base.mark_rect().encode(
        color=alt.Color("value:Q", title=metric, scale=alt.Scale(scheme="cividis", domain=[0, 1], reverse=worse_high)),
        tooltip=tooltip)
    light = alt.datum.value < 0.5 if worse_high else alt.datum.value > 0.5
    text = base.mark_text(baseline="middle", fontSize=11, lineBreak="\n").encode(
        text="label:N", color=alt.condition(light, alt.value("black"), alt.value("white")), tooltip=tooltip)
    return alt.layer(rect, text).properties(height=heatmap_height(data["condition"].nunique()))


def group_bars(frame: pd.DataFrame, group: str, metric: str) -> alt.LayerChart:
    """A rate per font (or design, or country) with its 95 % Wilson interval, worst first."""
    data = frame.rename(columns={group: "group"})
    base = alt.Chart(data).encode(y=alt.Y("group:N", title=group, sort=alt.EncodingSortField("value", order="ascending")))
    tooltip = ["group", alt.Tooltip("n:Q", title="images"), alt.Tooltip("value:Q", title=metric, format=".1%"),
               alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
               alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%")]
    bars = base.mark_bar(color="#0072B2", opacity=0.8).encode(
        x=alt.X("value:Q", title=metric, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")), tooltip=tooltip)
    whiskers = base.mark_rule(color="black").encode(x="ci_low:Q", x2="ci_high:Q", tooltip=tooltip)
    return alt.layer(bars, whiskers).properties(height=22 * max(1, data["group"].nunique()))


def confusion_bars(pairs: pd.DataFrame, top: int = 20) -> alt.Chart:
    """The most frequent truth → read character confusions."""
    data = pairs.head(top)
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("count:Q", title="times"),
        y=alt.Y("pair:N", title="truth → read", sort="-x"),
        tooltip=["truth", "read", "count"],
    ).properties(height=22 * max(1, data["pair"].nunique()))  # a set height: a stretched chart may not fit a step one


def distribution_chart(frame: pd.DataFrame, title: str, order: list[str]) -> alt.LayerChart:
    """Every run's value of one figure, one column per variant: the runs of one seed joined by a
    grey line (the pairs a paired interval compares), each variant's mean as a black tick."""
    base = alt.Chart(frame).encode(x=alt.X("variant:N", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
                                   y=alt.Y("value:Q", title=title, scale=alt.Scale(zero=False)))
    pairs = base.mark_line(color="#bbbbbb", strokeWidth=1).encode(detail="seed:N")
    points = base.mark_circle(size=70, opacity=0.8).encode(
        color=alt.Color("variant:N", sort=order, legend=None, scale=alt.Scale(scheme="tableau10")),
        tooltip=["variant", "seed", alt.Tooltip("value:Q", title=title, format=",.4g")])
    means = base.mark_tick(color="black", thickness=2, size=40).encode(y=alt.Y("mean(value):Q", title=title))
    return alt.layer(pairs, points, means).properties(height=300)
