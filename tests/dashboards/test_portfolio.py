"""The portfolio page on two real runs of the bundled estate: with the idle fee switched on everywhere, and without."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import PAGES

PAGE = PAGES / "5_Portfolio.py"


def number(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.fixture
def page(dashboard_env: Path) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not at.exception, at.exception
    at.selectbox(key="portfolio").set_value("estate/fee").run()
    return at


def test_every_site_and_the_estates_totals_are_the_portfolios_figures(page: AppTest, estate_dir: Path) -> None:
    shown = page.dataframe[0].value
    expected = pd.read_csv(estate_dir / "fee" / "portfolio.csv").set_index("site")
    assert list(shown.index) == ["retail", "dc-hub", "residential", "estate (total)"]
    for site, row in expected.iterrows():
        name = "estate (total)" if site == "total" else site
        assert number(shown.loc[name, "arrivals (drivers)"]) == row.arrivals
        assert number(shown.loc[name, "mean occupied EV bays"]) == pytest.approx(row.mean_occupied_bays, rel=0.005)
        assert number(shown.loc[name, "idle-fee revenue (GBP)"]) == pytest.approx(row.idle_fee_revenue, rel=0.005)


def test_two_runs_of_the_estate_are_compared_site_by_site(page: AppTest, estate_dir: Path) -> None:
    page.selectbox(key="other_portfolio").set_value("estate/no-fee").run()
    page.multiselect(key="portfolio_objectives").set_value(["idle_fee_revenue"]).run()
    assert not page.exception, page.exception
    lines = [m.value.removeprefix("- ") for m in page.markdown if m.value.startswith("- ")]
    sites = json.loads((estate_dir / "fee" / "portfolio.json").read_text())["sites"]
    assert len(lines) == len(sites) + 1  # every site, then the estate
    for line, site in zip(lines, sites):
        before = json.loads((estate_dir / "no-fee" / site["label"] / "summary.json").read_text())["idle_fee_revenue"]
        gain = site["idle_fee_revenue"] - before
        expected = (f"estate/fee: GBP {gain:,.2f} more idle-fee revenue than estate/no-fee" if gain else
                    "estate/fee: the same idle-fee revenue as estate/no-fee")  # two days: a site may bill nobody
        assert line.startswith(expected), line
    assert any(site["idle_fee_revenue"] > 0 for site in sites)
    total = json.loads((estate_dir / "fee" / "portfolio.json").read_text())["total"]["idle_fee_revenue"]
    assert lines[-1].startswith(f"estate/fee: GBP {total:,.2f} more idle-fee revenue than estate/no-fee")
    assert [m.value for m in page.markdown if m.value.startswith("**")][:4] == \
        ["**retail**", "**dc-hub**", "**residential**", "**estate (total)**"]
