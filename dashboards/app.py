"""The dashboard's entry: ``streamlit run dashboards/app.py`` (``baytwin dashboard`` does this).

This is the home page; every file in ``pages/`` is one more page in the sidebar, in the order of
its number, so adding a page is adding a file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import streamlit as st

from baytwin.dashboards.ui import found_under, page_setup

PAGES = Path(__file__).parent / "pages"


def page_title(page: Path) -> str:
    """The name Streamlit gives a page in the sidebar: the file name without its number."""
    return page.stem.split("_", 1)[-1].replace("_", " ")


def page_summary(page: Path) -> str:
    """The first line of the page's docstring."""
    doc = ast.get_docstring(ast.parse(page.read_text(encoding="utf-8"))) or ""
    return doc.split("\n", 1)[0].split(": ", 1)[-1].rstrip(".")

settings = page_setup("baytwin dashboards", "Runs, sweeps and plate-reading evaluations found on disk, "
                                            "and the live site's operations.")
found = found_under(settings)
st.write(f"Looking under **{settings.runs}** (and every folder below it).")

runs, sweeps, evals = st.columns(3)
runs.metric("Runs", len(found.runs))
sweeps.metric("Sweeps", len(found.sweeps))
evals.metric("OCR evaluations", len(found.ocr_evals))

for page in sorted(PAGES.glob("*.py")):
    st.page_link(f"pages/{page.name}", label=f"**{page_title(page)}**: {page_summary(page)}")

if not (found.runs or found.sweeps or found.ocr_evals):
    st.info("Nothing to show yet. `baytwin demo` writes two runs under runs/demo; "
            "`baytwin ocr eval --images DIR --out DIR` writes an OCR evaluation.")
