"""The home page: what is under the runs folder, and a line on every page saying what it answers."""

from __future__ import annotations

import streamlit as st

from baytwin.dashboards.page_index import page_files, page_summary, page_title
from baytwin.dashboards.ui import found_under, page_setup

settings = page_setup("baytwin dashboards", "Runs, sweeps and plate-reading evaluations found on disk, "
                                            "and the live site's operations.")
found = found_under(settings)
st.write(f"Looking under **{settings.runs}** (and every folder below it).")

runs, sweeps, evals = st.columns(3)
runs.metric("Runs", len(found.runs))
sweeps.metric("Sweeps", len(found.sweeps))
evals.metric("OCR evaluations", len(found.ocr_evals))

for page in page_files():
    st.page_link(f"pages/{page.name}", label=f"**{page_title(page)}**")
    st.caption(page_summary(page))  # beside the link: a link is one line and would cut the sentence

if not (found.runs or found.sweeps or found.ocr_evals):
    st.info("Nothing to show yet. `baytwin demo` writes two runs under runs/demo; "
            "`baytwin ocr eval --images DIR --out DIR` writes an OCR evaluation.")
