"""The home page: what is under the runs folder, and a link to every page with what it answers."""

from __future__ import annotations

import ast
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP, PAGES


def test_home_counts_what_it_found_and_links_every_page(dashboard_env: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric} == {"Runs": "16", "Sweeps": "2", "OCR evaluations": "2"}
    links = [link.proto.page for link in at.get("page_link")]
    assert links == [page.stem.split("_", 1)[1] for page in sorted(PAGES.glob("*.py"))]
    assert len(links) == 5


def test_each_page_is_described_by_its_whole_first_paragraph(dashboard_env: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    captions = [c.value for c in at.caption][1:]  # the first is the page's own
    for page, caption in zip(sorted(PAGES.glob("*.py")), captions):
        doc = ast.get_docstring(ast.parse(page.read_text()))
        first = " ".join(line.strip() for line in doc.split("\n\n")[0].splitlines())
        summary = first.split(": ", 1)[1].rstrip(".")
        assert caption == summary[0].upper() + summary[1:], page.name
        assert not caption.endswith((",", " the", " and")), caption


def test_the_home_page_is_named_and_the_toolbar_kept_minimal(dashboard_env: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert at.title[0].value == "baytwin dashboards"
    import streamlit as st

    assert st.get_option("client.toolbarMode") == "minimal"


def test_home_switches_to_a_page(dashboard_env: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("pages/1_Scenario_comparison.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Scenario comparison"
