"""Sweep explorer: a grid of policies ranked honestly, from paired differences with intervals, ties said as ties, and the trade-off between objectives."""

from __future__ import annotations

import streamlit as st

from baytwin.dashboards.charts import heatmap_height, pareto_chart, sweep_heatmap, sweep_lines
from baytwin.dashboards.data import (
    PREFERRED_METRIC,
    Constraint,
    DataProblem,
    metric_frame,
    rank_cells,
    read_sweep,
    select,
)
from baytwin.dashboards.figures import TRADE_OFF, better, figure
from baytwin.dashboards.ranking import pareto_front, rank_paired, setting
from baytwin.dashboards.report import sweep_report
from baytwin.dashboards.report_button import report_download
from baytwin.dashboards.ui import found_under, page_setup, show_table
from baytwin.sim.sweep.effect import axes_without_effect, no_effect_message

settings = page_setup("Sweep explorer", "A grid of policies run several times each (a folder with sweep.json).")
found = found_under(settings)
folders = {found.label(folder): folder for folder in found.sweeps}
if not folders:
    st.info(f"No sweep folder (one holding sweep.json) under {settings.runs}.")
    st.stop()

label = st.selectbox("Sweep", list(folders), key="sweep")
try:
    sweep = read_sweep(folders[label])
except DataProblem as err:
    st.error(f"error: {err}")
    st.stop()
axes, cells = sweep.axes, sweep.cells
currency = sweep.currency
metrics = sweep.metrics
preferred = metrics.index(PREFERRED_METRIC) if PREFERRED_METRIC in metrics else 0
st.caption(f"Scenario {sweep.spec.get('scenario', '?')}: {len(sweep.runs):,} runs in {len(cells):,} cells "
           f"({sweep.spec.get('replications', '?')} replications each, the same seeds in every cell). Axes: "
           + ", ".join(f"{axis} = {sweep.axis_path(axis)}" for axis in axes) + f". Money in {currency}.")
for axis in axes_without_effect(sweep.runs, axes, metrics):
    st.warning(no_effect_message(axis, sweep.axis_path(axis)))


def direction_picker(holder, name: str, key: str) -> bool:  # type: ignore[no-untyped-def]
    """Maximize or minimize, defaulting to the figure's natural direction; the key follows the figure,
    so switching the objective brings its own default with it."""
    natural = better(name)
    return holder.radio("Direction", ["maximize", "minimize"], index=0 if natural != "lower" else 1,
                        key=f"{key}-{name}", help=None if natural else "This figure has no natural direction: pick one.") \
        == "maximize"


st.subheader("Best policy")
pick = st.columns([2, 1, 2, 1, 1])
objective = pick[0].selectbox("Objective", metrics, index=preferred, key="objective",
                              format_func=lambda n: f"{figure(n).label} ({n})" if figure(n).label != n else n)
maximize = direction_picker(pick[1], objective, "direction")
limited = pick[2].selectbox("Subject to", ["(no constraint)", *metrics], key="constraint")
constraints = []
if limited != "(no constraint)":
    op = pick[3].selectbox("Must be", ["<=", ">="], key="op")
    means = cells[f"{limited}_mean"].dropna()
    bound = pick[4].number_input("Bound", value=float(means.median()) if len(means) else 0.0,
                                 key=f"bound-{limited}", format="%.4g")
    constraints.append(Constraint(limited, op, float(bound)))
conservative = st.checkbox("Whole confidence interval must meet the constraint", key="conservative")
ranked = rank_cells(cells, axes, objective, maximize, constraints, conservative)
ranking = rank_paired(ranked, sweep.runs, axes, objective, maximize, len(cells), currency)
{"best": st.success, "tie": st.info, "identical": st.warning, "none": st.warning}[ranking.kind](ranking.message)
if not ranking.table.empty:
    show_table(ranking.table, "best policies")
    st.caption("Each cell against the best, seed by seed (the same drivers met both): the mean difference and its "
               "95 % paired t interval. An interval holding zero is no significant difference.")

st.subheader("Trade-off between objectives")
offered = [m for m in TRADE_OFF if m in metrics] + [m for m in metrics if m not in TRADE_OFF]
chosen = st.multiselect("Objectives (two or three)", offered, default=offered[:3] if len(offered) >= 3 else offered,
                        max_selections=3, key="pareto", format_func=lambda n: figure(n).label)
if len(chosen) < 2:
    st.info("Pick two or three objectives to see which policies trade one for another.")
else:
    directions = {m: better(m) != "lower" for m in chosen}
    front = cells.assign(front=pareto_front(cells, chosen, directions),
                         setting=[setting(row, axes) for row in cells.to_dict("records")])
    x, y = chosen[0], chosen[1]
    size = chosen[2] if len(chosen) > 2 else None
    st.altair_chart(pareto_chart(front, x, y, figure(x).label, figure(y).label, size,
                                 figure(size).label if size else ""), width="stretch")
    st.caption(f"{int(front['front'].sum())} of {len(cells)} cells are on the front: no other cell is at least as "
               "good on every objective and better on one (" + ", ".join(
                   f"{figure(m).label} {'higher' if directions[m] else 'lower'} is better" for m in chosen)
               + "). Bars: 95 % intervals." + (f" Point size: {figure(size).label}." if size else ""))
    columns = [*axes, *[f"{m}_{part}" for m in chosen for part in ("mean", "ci_low", "ci_high")]]
    show_table(front[front["front"]][columns].reset_index(drop=True), "pareto front", index=False)

st.subheader("A metric over the grid")
pick = st.columns(3)
metric = pick[0].selectbox("Metric", metrics, index=preferred, key="metric")
x = pick[1].selectbox("Across", axes, key="x")
others = [axis for axis in axes if axis != x]
y = pick[2].selectbox("Down / one line each", others, key="y") if others else None
fixed_axes = [axis for axis in others if axis != y]
fixed = {}
if fixed_axes:
    holders = st.columns(len(fixed_axes))
    for holder, axis in zip(holders, fixed_axes):
        fixed[axis] = holder.selectbox(f"{axis} fixed at", sweep.axis_values(axis), format_func=str,
                                       key=f"fixed-{axis}")
shown_axes = [x] + ([y] if y else [])
frame = metric_frame(select(cells, fixed), shown_axes, metric)
if y:
    heat, lines = st.tabs(["Heatmap", "Lines"])
    heat.altair_chart(sweep_heatmap(frame, x, y, metric, sweep.axis_values(x), sweep.axis_values(y)), width="stretch",
                      height=heatmap_height(len(sweep.axis_values(y))) + 90)
    lines.altair_chart(sweep_lines(frame, x, y, metric, sweep.axis_values(x), sweep.axis_values(y)), width="stretch")
else:
    st.altair_chart(sweep_lines(frame, x, None, metric, sweep.axis_values(x), []), width="stretch")
st.caption("Cell means over the replications; [bracketed] under each mean, error bars and the tooltips: the 95% "
           "confidence interval.")
show_table(frame.rename(columns={"mean": f"{metric}_mean", "ci_low": f"{metric}_ci_low",
                                 "ci_high": f"{metric}_ci_high"}),
           f"{metric} by {' and '.join(shown_axes)}", index=False)

with st.expander(f"The runs behind the cells shown ({', '.join(f'{a} = {v}' for a, v in fixed.items()) or 'all'})"):
    show_table(select(sweep.runs, fixed), "runs", index=False)

report_download(lambda: sweep_report(sweep, objective, maximize, constraints, conservative), f"sweep-{label}")
