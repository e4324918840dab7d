"""What every page does the same way: its header, the runs folder, and tables with a CSV download."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from baytwin.dashboards.data import Found, read_found
from baytwin.dashboards.settings import Settings


def page_setup(title: str, caption: str, min_role: str = "viewer") -> Settings:
    """Title the page, let only a user of at least ``min_role`` past (a login form when the dashboard
    is reachable from other machines: every page, not only operations, shows site data), and return
    the settings the command line passed."""
    from baytwin.dashboards.auth import require_role

    st.set_page_config(page_title=f"{title} · baytwin", layout="wide")
    st.title(title)
    st.caption(caption)
    settings = Settings.from_environment()
    require_role(min_role, settings)
    return settings


def found_under(settings: Settings) -> Found:
    """What is under the runs folder; a warning on the page when the folder is missing."""
    if not settings.runs.is_dir():
        st.warning(f"{settings.runs}: no such folder. Run `baytwin demo` or `baytwin sim run ... --out DIR`, "
                   "then start the dashboard with `--runs DIR`.")
    return read_found(str(settings.runs.resolve()))


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "table"


def show_table(table: pd.DataFrame, name: str, *, shown: pd.DataFrame | None = None, static: bool = False,
               index: bool = True) -> None:
    """Show a table (``shown`` when the display differs from the data, e.g. formatted figures;
    ``static`` renders plain HTML, good for short side-by-side figures) with a button that
    downloads the data as CSV."""
    display = table if shown is None else shown
    if static:
        st.table(display)
    else:
        st.dataframe(display, hide_index=not index, width="stretch")
    slug = _slug(name)
    st.download_button(f"Download {name} (CSV)", data=table.to_csv(index=index).encode("utf-8"),
                       file_name=f"{slug}.csv", mime="text/csv", key=f"download-{slug}")
