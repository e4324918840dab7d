"""Scenario comparison: two or more finished runs side by side — throughput, free bays over the
day, violation outcomes and fees — and what differs between their scenarios and policies."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from baytwin.dashboards.charts import availability_chart
from baytwin.dashboards.data import (
    SCENARIO_FILE,
    SUMMARY_FILE,
    THROUGHPUT_FIGURES,
    TIMESERIES_FILE,
    VIOLATION_FIGURES,
    DataProblem,
    availability_by_hour,
    formatted,
    read_json,
    read_parquet,
    scenario_differences,
    summary_table,
)
from baytwin.dashboards.ui import found_under, page_setup, show_table

settings = page_setup("Scenario comparison", "Finished runs (`baytwin sim run`, `baytwin demo`) side by side.")
found = found_under(settings)
folders = {found.label(folder): folder for folder in found.runs}
if len(folders) < 2:
    st.info(f"Comparing needs two or more run folders under {settings.runs}; found {len(folders)}.")
    st.stop()

chosen = st.multiselect("Runs to compare", list(folders), default=list(folders)[:2], key="runs")
if len(chosen) < 2:
    st.info("Pick two or more runs.")
    st.stop()

try:
    summaries = {label: read_json(folders[label] / SUMMARY_FILE) for label in chosen}
    scenarios = {label: read_json(folders[label] / SCENARIO_FILE) for label in chosen}
except DataProblem as err:
    st.error(f"error: {err}")
    st.stop()

st.subheader("Throughput")
throughput = summary_table(summaries, THROUGHPUT_FIGURES)
show_table(throughput, "throughput", shown=formatted(throughput), static=True)

st.subheader("Availability over the day")
hourly = []
for label in chosen:
    path = folders[label] / TIMESERIES_FILE
    if not path.is_file():
        st.caption(f"{label}: no {TIMESERIES_FILE}")
        continue
    site = scenarios[label].get("site", {})
    samples = read_parquet(path, columns=["ts", "occupied_ev_bays"])
    hourly.append(availability_by_hour(samples, int(summaries[label]["ev_bays"]), site.get("timezone", "UTC"))
                  .assign(run=label))
if hourly:
    by_hour = pd.concat(hourly, ignore_index=True)
    st.altair_chart(availability_chart(by_hour), width="stretch")
    wide = by_hour.pivot(index="hour", columns="run", values="mean_free_ev_bays")[
        [label for label in chosen if label in set(by_hour["run"])]]
    st.caption("Mean free EV bays by hour of the site's local day, over every day of the run.")
    show_table(wide, "free EV bays by hour", shown=wide.round(2))

st.subheader("Violations and fees")
outcomes = summary_table(summaries, VIOLATION_FIGURES)
show_table(outcomes, "violation outcomes", shown=formatted(outcomes), static=True)

st.subheader("What differs between the scenarios")
differences = scenario_differences(scenarios)
if differences.empty:
    st.success("The scenarios are identical (same site, population and policy).")
else:
    policy_first = differences.sort_values("path", key=lambda p: ~p.str.startswith("policy."), kind="stable")
    st.caption(f"{len(differences)} settings differ (policy first); every other setting is the same.")
    show_table(policy_first, "scenario differences", index=False)
