"""Scenario comparison: which policy, by how much and how sure, from finished runs side by side (differences with paired intervals when runs share seeds)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from baytwin.dashboards.charts import availability_chart, distribution_chart
from baytwin.dashboards.comparison import (
    compare,
    comparison_table,
    distribution_frame,
    group_runs,
    headline,
    means_table,
    relabelled,
)
from baytwin.dashboards.data import (
    THROUGHPUT_FIGURES,
    TIMESERIES_FILE,
    VIOLATION_FIGURES,
    availability_by_hour,
    load_runs,
    read_json,
    read_parquet,
    scenario_differences,
)
from baytwin.dashboards.figures import FIGURES, figure, format_number
from baytwin.dashboards.report import comparison_report
from baytwin.dashboards.report_button import report_download
from baytwin.dashboards.ui import found_under, page_setup, show_table

HEADLINE_DEFAULT = ("idle_bay_hours", "mean_occupied_bays", "idle_fee_revenue", "false_penalties")
DIFFERENCE_FIGURES = ("idle_bay_hours", "mean_occupied_bays", *THROUGHPUT_FIGURES, *VIOLATION_FIGURES)

settings = page_setup("Scenario comparison", "Finished runs (`baytwin sim run`, `baytwin demo`) side by side: runs "
                      "of one scenario with different seeds count as replications of it.")
found = found_under(settings)
runs, problems = load_runs(found, read_json)
for problem in problems:
    st.warning(f"skipped: {problem}")
variants = {v.label: v for v in group_runs(runs)}
if len(variants) < 2:
    st.info(f"Comparing needs runs of two or more scenarios or policies under {settings.runs}; found {len(variants)}.")
    st.stop()

labels = list(variants)
pick = st.columns([3, 1])
chosen = pick[0].multiselect("Runs to compare", labels, default=labels[:2], key="runs",
                             format_func=lambda label: f"{label} ({len(variants[label].seeds)} run"
                             + ("s" if len(variants[label].seeds) > 1 else "") + ")")
if len(chosen) < 2:
    st.info("Pick two or more runs.")
    st.stop()
baseline_label = pick[1].selectbox("Compared with", chosen, key="baseline")
baseline, *others = relabelled([variants[baseline_label], *(variants[label] for label in chosen
                                                              if label != baseline_label)])
picked = [baseline, *others]
currencies = {v.currency for v in picked}
if len(currencies) > 1:
    st.warning(f"The runs' money is in different currencies ({', '.join(sorted(currencies))}): "
               "their revenues are not compared.")

available = [name for name in FIGURES if all(name in v.summaries[v.seeds[0]] for v in picked)]
objectives = st.multiselect("Headline objectives", available, key="objectives", format_func=lambda n: figure(n).label,
                            default=[n for n in HEADLINE_DEFAULT if n in available])
st.subheader("The answer")
for variant in others:
    for name in objectives:
        if figure(name).kind == "money" and len(currencies) > 1:
            continue
        st.markdown(f"- {headline(compare(baseline, variant, name))}")
st.caption("Paired: runs with the same seed met the same drivers at the same times, so their difference is the "
           "policy's. Intervals are 95 % Student's t intervals of the mean difference (Welch's without shared seeds); "
           "per cent of the baseline's mean.")

st.subheader("Differences from " + baseline.label)
names = [n for n in dict.fromkeys(DIFFERENCE_FIGURES) if n in available]
differences = comparison_table(baseline, others, names)
shown = differences.drop(columns=["key"]).copy()
for column in shown.columns:
    if pd.api.types.is_float_dtype(shown[column]):
        shown[column] = shown[column].map(format_number)
show_table(differences.drop(columns=["key"]), "differences", shown=shown, index=False)

st.subheader("Outcomes across the runs")
distribution_name = st.selectbox("Figure", names, key="distribution", format_func=lambda n: figure(n).label,
                                 index=names.index(objectives[0]) if objectives and objectives[0] in names else 0)
st.altair_chart(distribution_chart(distribution_frame(picked, distribution_name), figure(distribution_name).label,
                                   [v.label for v in picked]), width="stretch")
st.caption("One dot per run; a grey line joins the runs of one seed; the black tick is each variant's mean.")

st.subheader("Throughput")
throughput = means_table(picked, [n for n in THROUGHPUT_FIGURES if n in available])
show_table(throughput, "throughput", shown=throughput.map(lambda v: v if isinstance(v, str) else format_number(v)),
           static=True)

st.subheader("Availability over the day")
hourly = []
for variant in picked:
    samples = [read_parquet(variant.folders[s] / TIMESERIES_FILE, columns=["ts", "occupied_ev_bays"])
               for s in variant.seeds if (variant.folders[s] / TIMESERIES_FILE).is_file()]
    if not samples:
        st.caption(f"{variant.label}: no {TIMESERIES_FILE}")
        continue
    ev_bays = int(variant.summaries[variant.seeds[0]]["ev_bays"])
    timezone = (variant.scenario.get("site") or {}).get("timezone", "UTC")
    hourly.append(availability_by_hour(pd.concat(samples, ignore_index=True), ev_bays, timezone)
                  .assign(run=variant.label))
if hourly:
    by_hour = pd.concat(hourly, ignore_index=True)
    st.altair_chart(availability_chart(by_hour), width="stretch")
    wide = by_hour.pivot(index="hour", columns="run", values="mean_free_ev_bays")[
        [v.label for v in picked if v.label in set(by_hour["run"])]]
    st.caption("Mean free EV bays by hour of the site's local day, over every day of every run.")
    show_table(wide, "free EV bays by hour", shown=wide.round(2))

st.subheader("Violations and fees")
outcomes = means_table(picked, [n for n in VIOLATION_FIGURES if n in available])
show_table(outcomes, "violation outcomes", shown=outcomes.map(lambda v: v if isinstance(v, str) else format_number(v)),
           static=True)

st.subheader("What differs between the scenarios")
differing = scenario_differences({v.label: v.scenario for v in picked})
if differing.empty:
    st.success("The scenarios are identical (same site, population and policy).")
else:
    policy_first = differing.sort_values("path", key=lambda p: ~p.str.startswith("policy."), kind="stable")
    st.caption(f"{len(differing)} settings differ (policy first); every other setting is the same.")
    show_table(policy_first, "scenario differences", index=False)

report_download(lambda: comparison_report(baseline, others, objectives), f"comparison-{baseline.label}")
