"""The pages' one-click report: a download button that writes the report when it is clicked."""

from __future__ import annotations

import re
from collections.abc import Callable

import streamlit as st


def report_download(build: Callable[[], str], name: str) -> None:
    """A button that downloads the self-contained HTML report ``build`` writes. The report is built
    only on the click (on Streamlit's side thread), so a page that is only looked at costs nothing."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "report"
    st.subheader("Report for the meeting")
    st.caption("One HTML file: the question, the setup, the answer, charts, tables and intervals, and the "
               "assumptions behind them. It opens in any browser, offline; print it to PDF from there.")
    st.download_button("Download the report (HTML)", data=lambda: build().encode("utf-8"), file_name=f"{slug}.html",
                       mime="text/html", key="download-report", type="primary")
