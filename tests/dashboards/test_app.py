"""The home page: what is under the runs folder, and a link to every page file."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP, PAGES


def test_home_counts_what_it_found_and_links_every_page(dashboard_env: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric} == {"Runs": "2", "Sweeps": "1", "OCR evaluations": "1"}
    links = [link.proto.page for link in at.get("page_link")]
    assert links == [page.stem.split("_", 1)[1] for page in sorted(PAGES.glob("*.py"))]
    assert len(links) == 4


def test_home_switches_to_a_page(dashboard_env: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("pages/1_Scenario_comparison.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Scenario comparison"
