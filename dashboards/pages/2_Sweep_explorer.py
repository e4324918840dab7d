"""Sweep explorer: any metric over any two axes of a policy grid, with confidence intervals, and
the best policy for an objective under a constraint."""

from __future__ import annotations

import streamlit as st

from baytwin.dashboards.charts import sweep_heatmap, sweep_lines
from baytwin.dashboards.data import (
    PREFERRED_METRIC,
    Constraint,
    DataProblem,
    format_figure,
    metric_frame,
    rank_cells,
    read_sweep,
    select,
)
from baytwin.dashboards.ui import found_under, page_setup, show_table

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
preferred = sweep.metrics.index(PREFERRED_METRIC) if PREFERRED_METRIC in sweep.metrics else 0
st.caption(f"Scenario {sweep.spec.get('scenario', '?')}: {len(sweep.runs):,} runs in {len(cells):,} cells "
           f"({sweep.spec.get('replications', '?')} replications each). Axes: "
           + ", ".join(f"{axis} = {sweep.axis_path(axis)}" for axis in axes))

st.subheader("A metric over the grid")
pick = st.columns(3)
metric = pick[0].selectbox("Metric", sweep.metrics, index=preferred, key="metric")
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
    heat.altair_chart(sweep_heatmap(frame, x, y, metric, sweep.axis_values(x), sweep.axis_values(y)), width="stretch")
    lines.altair_chart(sweep_lines(frame, x, y, metric, sweep.axis_values(x), sweep.axis_values(y)), width="stretch")
else:
    st.altair_chart(sweep_lines(frame, x, None, metric, sweep.axis_values(x), []), width="stretch")
st.caption("Cell means over the replications; error bars and the tooltips give the 95% confidence interval.")
show_table(frame.rename(columns={"mean": f"{metric}_mean", "ci_low": f"{metric}_ci_low",
                                 "ci_high": f"{metric}_ci_high"}),
           f"{metric} by {' and '.join(shown_axes)}", index=False)

st.subheader("Best policy")
pick = st.columns([2, 1, 2, 1, 1])
objective = pick[0].selectbox("Objective", sweep.metrics, index=preferred, key="objective")
maximize = pick[1].radio("Direction", ["maximize", "minimize"], index=int(objective == PREFERRED_METRIC),
                         key="direction") == "maximize"  # fewest occupied bays: most available
limited = pick[2].selectbox("Subject to", ["(no constraint)", *sweep.metrics], key="constraint")
constraints = []
if limited != "(no constraint)":
    op = pick[3].selectbox("Must be", ["<=", ">="], key="op")
    means = cells[f"{limited}_mean"].dropna()
    bound = pick[4].number_input("Bound", value=float(means.median()) if len(means) else 0.0,
                                 key=f"bound-{limited}", format="%.4g")
    constraints.append(Constraint(limited, op, float(bound)))
conservative = st.checkbox("Whole confidence interval must meet the constraint", key="conservative")
ranked = rank_cells(cells, axes, objective, maximize, constraints, conservative)
if ranked.empty:
    st.warning("No policy in the grid meets the constraint.")
else:
    best = ranked.head(1).to_dict("records")[0]  # column by column: an integer axis stays an integer
    setting = ", ".join(f"{axis} = {best[axis]}" for axis in axes)
    st.success(f"Best: {setting} — {objective} {format_figure(best[f'{objective}_mean'])} "
               f"(95% CI {format_figure(best.get(f'{objective}_ci_low'))} to "
               f"{format_figure(best.get(f'{objective}_ci_high'))}); "
               f"{len(ranked)} of {len(cells)} cells meet the constraint.")
    show_table(ranked, "best policies")

with st.expander(f"The runs behind the cells shown ({', '.join(f'{a} = {v}' for a, v in fixed.items()) or 'all'})"):
    show_table(select(sweep.runs, fixed), "runs", index=False)
