"""Portfolio: an operator's sites side by side, each with its estate's totals, and what a change does at every site and across the estate (two portfolio runs compared site by site)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from baytwin.dashboards.comparison import compare, headline
from baytwin.dashboards.data import DataProblem, read_json
from baytwin.dashboards.figures import figure, format_number
from baytwin.dashboards.portfolio_view import ESTATE, SITE_FIGURES, load_portfolio, site_variants, sites_table
from baytwin.dashboards.ui import found_under, page_setup, show_table

HEADLINE_DEFAULT = ("mean_occupied_bays", "idle_fee_revenue", "false_penalties")

settings = page_setup("Portfolio", "Portfolio runs (`baytwin sim run portfolios/north-estate --out DIR`): "
                      "every site of an estate side by side, with the estate's totals.")
found = found_under(settings)
folders = {found.label(folder): folder for folder in found.portfolios}
if not folders:
    st.info(f"No portfolio run (a folder with portfolio.json) under {settings.runs}. "
            "Make one with `baytwin sim run portfolios/north-estate --out runs/estate`.")
    st.stop()

pick = st.columns(2)
label = pick[0].selectbox("Portfolio run", list(folders), key="portfolio")
other_label = pick[1].selectbox("Compared with", ["(none)", *(f for f in folders if f != label)], key="other_portfolio",
                                help="Another run of the estate, e.g. before the change: each site against itself.")
try:
    portfolio = load_portfolio(folders[label], read_json)
    other = load_portfolio(folders[other_label], read_json) if other_label != "(none)" else None
except DataProblem as err:
    st.error(f"error: {err}")
    st.stop()
st.caption(f"{portfolio.name}: {len(portfolio.sites)} sites, {portfolio.document.get('days', '?')} days each, "
           f"run seed {portfolio.document.get('seed', '?')}. Money in {portfolio.currency()}.")

if other is not None:
    st.subheader("What the change does, site by site")
    mine, theirs = site_variants(portfolio, label), site_variants(other, other_label)
    shared = [site for site in mine if site in theirs]
    available = [n for n in SITE_FIGURES if all(n in mine[s].summaries[mine[s].seeds[0]] for s in shared)]
    objectives = st.multiselect("Objectives", available, default=[n for n in HEADLINE_DEFAULT if n in available],
                                key="portfolio_objectives", format_func=lambda n: figure(n).label)
    for site in shared:
        base, variant = theirs[site], mine[site]
        st.markdown(f"**{site}**")
        for name in objectives:
            st.markdown(f"- {headline(compare(base, variant, name))}")
    missing = sorted(set(mine) ^ set(theirs))
    if missing:
        st.caption("Not in both runs: " + ", ".join(missing))

st.subheader("Sites side by side")
table = sites_table(portfolio)
show_table(table, "sites", shown=table.map(format_number), index=True)
st.caption(f"The {ESTATE} row follows the rules in docs/portfolio.md: sums, ratios of sums, bay-weighted means.")

names = [n for n in SITE_FIGURES if any(n in summary for _, summary in portfolio.sites.values())]
chosen = st.selectbox("Figure by site", names, key="portfolio_figure", format_func=lambda n: figure(n).label,
                      index=names.index("mean_occupied_bays") if "mean_occupied_bays" in names else 0)
runs = {label: portfolio, **({other_label: other} if other is not None else {})}
bars = pd.DataFrame([{"site": site, "run": run, "value": summary.get(chosen)}
                     for run, p in runs.items() for site, (_, summary) in p.sites.items()])
height = 36 * max(1, len(portfolio.sites)) * max(1, len(runs))
st.altair_chart(alt.Chart(bars).mark_bar().encode(
    y=alt.Y("site:N", title=None), x=alt.X("value:Q", title=figure(chosen).label),
    color=alt.Color("run:N", title="run", scale=alt.Scale(scheme="tableau10"), legend=alt.Legend(labelLimit=0)),
    yOffset="run:N", tooltip=["site", "run", alt.Tooltip("value:Q", format=",.4g")],
).properties(height=height), width="stretch", height=height + 60)
