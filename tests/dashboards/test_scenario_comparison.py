"""The scenario comparison page on the demo's two real runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import PAGES, summary

PAGE = PAGES / "1_Scenario_comparison.py"
BASELINE, ENFORCED = "demo/workplace-garage-baseline", "demo/workplace-garage-enforced"


def figure(text: str) -> float | None:
    return None if text == "–" else float(text.replace(",", ""))


@pytest.fixture
def page(dashboard_env: Path) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    at.multiselect(key="runs").set_value([BASELINE, ENFORCED]).run()
    assert not at.exception, at.exception
    return at


def test_throughput_and_violation_figures_are_the_runs_summaries(page: AppTest, demo_dir: Path) -> None:
    throughput, outcomes = (table.value for table in page.table)
    for label, run in ((BASELINE, "workplace-garage-baseline"), (ENFORCED, "workplace-garage-enforced")):
        expected = summary(demo_dir / run)
        for table in (throughput, outcomes):
            for name, shown in table[label].items():
                value = figure(shown)
                if expected[name] is None:
                    assert value is None, name
                else:
                    assert value == pytest.approx(expected[name], abs=0.0006), (label, name)
    assert list(throughput.index) == ["served", "blocked", "turnover_per_bay_day", "charging_share_of_bay_time",
                                      "energy_kwh"]
    assert "idle_fee_revenue" in outcomes.index and "recall" in outcomes.index


def test_free_bays_by_hour_come_from_the_timeseries_in_site_time(page: AppTest, demo_dir: Path) -> None:
    shown = page.dataframe[0].value
    run = demo_dir / "workplace-garage-enforced"
    samples = pd.read_parquet(run / "timeseries.parquet")
    ev_bays = summary(run)["ev_bays"]
    hours = samples.ts.dt.tz_convert("America/Los_Angeles").dt.hour
    for hour in (3, 12):
        occupied = samples.occupied_ev_bays[hours == hour]
        assert shown.loc[hour, ENFORCED] == pytest.approx(ev_bays - occupied.mean(), abs=0.005)  # shown to 2 places
    assert shown[ENFORCED].min() < ev_bays  # the working day takes bays
    assert shown[BASELINE].min() < shown[ENFORCED].min()  # overstayers hold bays longer without enforcement


def test_policy_differences_show_only_what_differs(page: AppTest) -> None:
    differences = page.dataframe[1].value.set_index("path")
    assert differences.loc["policy.idle_fee.enabled", ENFORCED] == "True"
    assert differences.loc["policy.idle_fee.enabled", BASELINE] == "False"
    assert differences.loc["site.enforcement.mode", ENFORCED] == "anpr"
    assert "site.ev_bays" not in differences.index  # the same in both
    assert differences.index[0].startswith("policy.")


def test_every_table_has_a_csv_download(page: AppTest) -> None:
    labels = [button.label for button in page.get("download_button")]
    assert labels == ["Download throughput (CSV)", "Download free EV bays by hour (CSV)",
                      "Download violation outcomes (CSV)", "Download scenario differences (CSV)"]


def test_one_run_picked_asks_for_another(dashboard_env: Path) -> None:
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    at.multiselect(key="runs").set_value([ENFORCED]).run()
    assert [info.value for info in at.info] == ["Pick two or more runs."]
    assert not at.table
