"""The dashboard's entry: ``streamlit run dashboards/app.py`` (``baytwin dashboard`` does this).

It names the pages and hands over to the one the browser asked for: the home page ("Overview", in
home.py) and every file in ``pages/``, in the order of its number, so adding a page is adding a file.
Streamlit's developer toolbar (its "Deploy" button) is kept out of the operators' way.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from baytwin.dashboards.page_index import page_files, page_title

HOME = Path(__file__).parent / "home.py"

st.set_option("client.toolbarMode", "minimal")  # also when started without baytwin dashboard (settings.py)
pages = [st.Page(HOME, title="Overview", default=True),
         *(st.Page(page, title=page_title(page)) for page in page_files())]
st.navigation(pages).run()
