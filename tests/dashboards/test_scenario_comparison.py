"""The scenario comparison page: the demo's two single runs, and a tiny site in dollars under two
policies with the same four seeds each (paired replications)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_rel
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import PAGES, SEEDS, summary

PAGE = PAGES / "1_Scenario_comparison.py"
BASELINE, ENFORCED = "demo/workplace-garage-baseline", "demo/workplace-garage-enforced"
NO_FEE, FEE = "seeds/no-fee", "seeds/fee"
SHORT = {BASELINE: "baseline", ENFORCED: "enforced"}  # tables and sentences label the chosen runs by what tells them apart


def figure(text: str) -> float | None:
    return None if text == "–" else float(text.replace(",", ""))


def open_page(chosen: list[str], objectives: list[str] | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    at.multiselect(key="runs").set_value(chosen).run()
    at.selectbox(key="baseline").set_value(chosen[0]).run()
    if objectives is not None:
        at.multiselect(key="objectives").set_value(objectives).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def demo_page(dashboard_env: Path) -> AppTest:
    return open_page([BASELINE, ENFORCED])


@pytest.fixture
def seeded_page(dashboard_env: Path) -> AppTest:
    return open_page([NO_FEE, FEE], ["idle_fee_revenue", "idle_bay_hours"])


def per_seed(folder: Path, name: str) -> np.ndarray:
    return np.array([float(summary(folder / f"seed-{seed}")[name]) for seed in SEEDS])


def headlines(at: AppTest) -> list[str]:
    return [m.value.removeprefix("- ") for m in at.markdown if m.value.startswith("- ")]


def test_the_headline_is_the_paired_difference_in_the_sites_currency(seeded_page: AppTest, seeds_dir: Path) -> None:
    base, fee = per_seed(seeds_dir / "no-fee", "idle_bay_hours"), per_seed(seeds_dir / "fee", "idle_bay_hours")
    low, high = ttest_rel(fee, base).confidence_interval(0.95)
    share = (fee - base).mean() / base.mean()
    revenue, hours = headlines(seeded_page)
    assert revenue.startswith("fee: USD ") and "more idle-fee revenue than no-fee" in revenue
    assert revenue.endswith("across 4 paired seeds.")
    assert "GBP" not in " ".join(headlines(seeded_page))
    assert share < 0 and high < 0  # the fee frees bays in every seed
    word = f"{abs(share) * 100:.0f} % fewer bay-hours blocked by idle cars than no-fee"
    assert hours.startswith(f"fee: {word}"), hours
    assert f"95 % CI {abs(high / base.mean()) * 100:.0f}–{min(1.0, abs(low / base.mean())) * 100:.0f} %" in hours


def test_the_differences_table_holds_paired_intervals_and_units(seeded_page: AppTest, seeds_dir: Path) -> None:
    table = seeded_page.dataframe[0].value.set_index("figure")
    base = per_seed(seeds_dir / "no-fee", "idle_fee_revenue")
    fee = per_seed(seeds_dir / "fee", "idle_fee_revenue")
    low, high = ttest_rel(fee, base).confidence_interval(0.95)
    row = table.loc["idle-fee revenue"]
    assert row["unit"] == "USD" and row["variant"] == "fee" and row["baseline"] == "no-fee"
    assert figure(row["difference"]) == pytest.approx((fee - base).mean(), rel=0.005)
    assert figure(row["difference 95% CI low"]) == pytest.approx(low, rel=0.005)
    assert figure(row["difference 95% CI high"]) == pytest.approx(high, rel=0.005)
    assert row["runs"] == 4 and row["paired"] and row["verdict"] == "better"


def test_swapping_the_baseline_reverses_the_difference(seeded_page: AppTest) -> None:
    before = figure(seeded_page.dataframe[0].value.set_index("figure").loc["idle-fee revenue", "difference"])
    seeded_page.selectbox(key="baseline").set_value(FEE).run()
    assert not seeded_page.exception, seeded_page.exception
    after = seeded_page.dataframe[0].value.set_index("figure").loc["idle-fee revenue"]
    assert figure(after["difference"]) == pytest.approx(-before, rel=0.005)
    assert after["verdict"] == "worse"
    assert headlines(seeded_page)[0].startswith("no-fee: 100 % less idle-fee revenue than fee")  # none without it


def test_one_run_each_says_there_is_no_interval(demo_page: AppTest) -> None:
    lines = headlines(demo_page)
    assert lines and all("one run each: no interval" in line or "the same" in line or "not defined" in line
                         for line in lines)
    assert any("fewer bay-hours blocked by idle cars" in line for line in lines)


def test_throughput_and_violation_figures_are_the_runs_summaries(demo_page: AppTest, demo_dir: Path) -> None:
    throughput, outcomes = (table.value for table in demo_page.table)
    for label, run in ((BASELINE, "workplace-garage-baseline"), (ENFORCED, "workplace-garage-enforced")):
        expected = summary(demo_dir / run)
        for table in (throughput, outcomes):
            for name, shown in table[SHORT[label]].items():
                value = figure(shown)
                if expected[name] is None:
                    assert value is None, name
                else:
                    assert value == pytest.approx(expected[name], rel=0.005, abs=1e-9), (label, name)
    assert list(throughput.index) == ["served", "blocked", "turnover_per_bay_day", "charging_share_of_bay_time",
                                      "energy_kwh"]
    assert throughput.loc["energy_kwh", "unit"] == "kWh"
    assert outcomes.loc["idle_fee_revenue", "unit"] == "USD"  # the demo's garage (Los Angeles) counts in dollars


def test_free_bays_by_hour_come_from_the_timeseries_in_site_time(demo_page: AppTest, demo_dir: Path) -> None:
    shown = demo_page.dataframe[1].value
    run = demo_dir / "workplace-garage-enforced"
    samples = pd.read_parquet(run / "timeseries.parquet")
    ev_bays = summary(run)["ev_bays"]
    hours = samples.ts.dt.tz_convert("America/Los_Angeles").dt.hour
    for hour in (3, 12):
        occupied = samples.occupied_ev_bays[hours == hour]
        assert shown.loc[hour, "enforced"] == pytest.approx(ev_bays - occupied.mean(), abs=0.005)  # shown to 2 places
    assert shown["enforced"].min() < ev_bays  # the working day takes bays
    assert shown["baseline"].min() < shown["enforced"].min()  # overstayers hold bays longer without enforcement


def test_policy_differences_show_only_what_differs(demo_page: AppTest) -> None:
    differences = demo_page.dataframe[2].value.set_index("path")
    assert differences.loc["policy.idle_fee.enabled", "enforced"] == "True"
    assert differences.loc["policy.idle_fee.enabled", "baseline"] == "False"
    assert differences.loc["site.enforcement.mode", "enforced"] == "anpr"
    assert "site.ev_bays" not in differences.index  # the same in both
    assert differences.index[0].startswith("policy.")


def test_every_table_has_a_csv_download_and_the_page_a_report(demo_page: AppTest) -> None:
    labels = [button.label for button in demo_page.get("download_button")]
    assert labels == ["Download differences (CSV)", "Download throughput (CSV)", "Download free EV bays by hour (CSV)",
                      "Download violation outcomes (CSV)", "Download scenario differences (CSV)",
                      "Download the report (HTML)"]


def test_runs_of_one_scenario_with_several_seeds_are_one_choice(dashboard_env: Path) -> None:
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    options = at.multiselect(key="runs").options
    assert {f"{NO_FEE} (4 runs)", f"{FEE} (4 runs)", f"{BASELINE} (1 run)", f"{ENFORCED} (1 run)"} <= set(options)
    assert not any("seed-" in option for option in options)


def test_one_run_picked_asks_for_another(dashboard_env: Path) -> None:
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    at.multiselect(key="runs").set_value([ENFORCED]).run()
    assert [info.value for info in at.info] == ["Pick two or more runs."]
    assert not at.table
