"""The sweep explorer on sweep folders built from real runs of a tiny site: a grid whose axes matter,
and one whose only axis (a fee rate, with the fee switched off) changes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_rel
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import PAGES

PAGE = PAGES / "2_Sweep_explorer.py"
GRID, INERT = "sweeps/grace-by-misreads", "sweeps/fee-switched-off"


def open_sweep(label: str) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    at.selectbox(key="sweep").set_value(label).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def page(dashboard_env: Path) -> AppTest:
    return open_sweep(GRID)


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first dataframe on the page that has ``column``."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def test_grid_table_shows_cell_means_of_the_runs_with_the_other_axis_fixed(page: AppTest, sweep_dir: Path) -> None:
    page.selectbox(key="metric").set_value("wrong_identifications")
    page.selectbox(key="x").set_value("grace_min")
    page.selectbox(key="y").set_value("misread_rate").run()
    page.selectbox(key="fixed-fee").set_value(0.5).run()
    assert not page.exception, page.exception
    shown = table_with(page, "wrong_identifications_mean")
    runs = pd.read_parquet(sweep_dir / "runs.parquet")
    assert len(shown) == 4 and set(shown.columns) >= {"grace_min", "misread_rate", "wrong_identifications_mean",
                                                     "wrong_identifications_ci_low",
                                                     "wrong_identifications_ci_high", "n"}
    for row in shown.itertuples():
        runs_of_cell = runs[(runs.grace_min == row.grace_min) & (runs.misread_rate == row.misread_rate)
                            & (runs.fee == 0.5)]
        assert row.n == len(runs_of_cell) == 3
        assert row.wrong_identifications_mean == pytest.approx(runs_of_cell.wrong_identifications.mean())
        assert row.wrong_identifications_ci_low <= row.wrong_identifications_mean <= row.wrong_identifications_ci_high
    misreading = shown[shown.misread_rate == 0.3].wrong_identifications_mean
    assert misreading.min() > 0 and shown[shown.misread_rate == 0.0].wrong_identifications_mean.max() == 0
    assert len(page.dataframe[-1].value) == 12  # the runs behind the cells: fee 0.5 only
    assert set(page.dataframe[-1].value.fee) == {0.5}


def test_the_objective_brings_its_natural_direction(page: AppTest) -> None:
    assert page.radio(key="direction-mean_occupied_bays").value == "minimize"  # fewer occupied: more free bays
    page.selectbox(key="objective").set_value("idle_fee_revenue").run()
    assert page.radio(key="direction-idle_fee_revenue").value == "maximize"
    page.selectbox(key="objective").set_value("false_penalties").run()
    assert page.radio(key="direction-false_penalties").value == "minimize"


def test_the_ranking_compares_every_cell_with_the_best_seed_by_seed(page: AppTest, sweep_dir: Path) -> None:
    page.selectbox(key="objective").set_value("idle_fee_revenue").run()
    ranked = page.dataframe[0].value
    runs = pd.read_parquet(sweep_dir / "runs.parquet")
    axes = ["grace_min", "misread_rate", "fee"]

    def revenue(row: pd.Series) -> np.ndarray:
        mine = runs[(runs[axes] == row[axes].to_numpy()).all(axis=1)].sort_values("seed")
        return mine.idle_fee_revenue.to_numpy()

    assert ranked.idle_fee_revenue_mean.is_monotonic_decreasing
    best = revenue(ranked.iloc[0])
    assert ranked.iloc[0].verdict == "best"
    for _, row in ranked.iloc[1:].iterrows():
        low, high = ttest_rel(revenue(row), best).confidence_interval(0.95)
        assert row["difference 95% CI low"] == pytest.approx(low)
        assert row["difference 95% CI high"] == pytest.approx(high)
        assert row["paired seeds"] == 3
        expected = "worse than the best" if high < 0 else "no significant difference from the best"
        assert row.verdict == expected or (row.verdict == "identical to the best" and low == high == 0)
    message = (page.success or page.info)[0].value
    tied = ranked.verdict.isin(["no significant difference from the best", "identical to the best"]).any()
    assert message.startswith("No significant difference:" if tied else "Best:")


def test_best_policy_maximizes_the_objective_under_the_constraint(page: AppTest, sweep_dir: Path) -> None:
    cells = pd.read_parquet(sweep_dir / "cells.parquet")
    bound = float(cells.mean_occupied_bays_mean.median())
    page.selectbox(key="objective").set_value("idle_fee_revenue").run()
    page.selectbox(key="constraint").set_value("mean_occupied_bays").run()
    page.selectbox(key="op").set_value("<=")
    page.number_input(key="bound-mean_occupied_bays").set_value(bound).run()
    assert not page.exception, page.exception
    allowed = cells[cells.mean_occupied_bays_mean <= bound]
    ranked = page.dataframe[0].value
    assert 0 < len(ranked) == len(allowed) < len(cells)
    assert ranked.iloc[0].idle_fee_revenue_mean == pytest.approx(allowed.idle_fee_revenue_mean.max())
    assert (ranked.mean_occupied_bays_mean <= bound).all()
    top = ranked.iloc[0]
    message = (page.success or page.info)[0].value
    assert f"grace_min = {int(top.grace_min)}, misread_rate = {top.misread_rate}, fee = {top.fee}" in message
    assert f"{len(allowed)} of {len(cells)} cells" in message


def test_the_conservative_constraint_needs_the_whole_interval_inside(page: AppTest, sweep_dir: Path) -> None:
    cells = pd.read_parquet(sweep_dir / "cells.parquet")
    bound = float(cells.mean_occupied_bays_ci_high.median())
    page.selectbox(key="constraint").set_value("mean_occupied_bays").run()
    page.number_input(key="bound-mean_occupied_bays").set_value(bound)
    page.checkbox(key="conservative").check().run()
    inside = int((cells.mean_occupied_bays_ci_high <= bound).sum())
    assert 0 < inside < int((cells.mean_occupied_bays_mean <= bound).sum())
    assert len(page.dataframe[0].value) == inside


def test_a_constraint_nothing_meets_says_so(page: AppTest) -> None:
    page.selectbox(key="constraint").set_value("served").run()
    page.selectbox(key="op").set_value(">=")
    page.number_input(key="bound-served").set_value(10_000.0).run()
    assert [w.value for w in page.warning] == ["No policy in the grid meets the constraint."]


def test_a_grid_of_identical_cells_crowns_no_winner_and_names_the_inert_axis(dashboard_env: Path) -> None:
    at = open_sweep(INERT)
    warnings = [w.value for w in at.warning]
    assert warnings[0] == ("axis fee (policy.idle_fee.per_min) changed no figure of any run: every value gave the "
                           "same results (is the rule or fee it sets switched off?)")
    assert warnings[1].startswith("No best policy: every cell gives the same mean occupied EV bays")
    assert not at.success
    assert set(at.dataframe[0].value.verdict) == {"best", "identical to the best"}


def test_the_pareto_front_holds_the_cells_no_other_beats_on_every_objective(page: AppTest, sweep_dir: Path) -> None:
    objectives = ["mean_occupied_bays", "idle_fee_revenue"]
    page.multiselect(key="pareto").set_value(objectives).run()
    front = table_with(page, "idle_fee_revenue_mean")
    cells = pd.read_parquet(sweep_dir / "cells.parquet")
    occupied, revenue = cells.mean_occupied_bays_mean.to_numpy(), cells.idle_fee_revenue_mean.to_numpy()
    expected = set()
    for i in range(len(cells)):
        beaten = ((occupied <= occupied[i]) & (revenue >= revenue[i]) &
                  ((occupied < occupied[i]) | (revenue > revenue[i]))).any()
        if not beaten:
            expected.add((cells.grace_min[i], cells.misread_rate[i], cells.fee[i]))
    assert {tuple(r) for r in front[["grace_min", "misread_rate", "fee"]].itertuples(index=False)} == expected
    assert f"{len(expected)} of {len(cells)} cells are on the front" in " ".join(c.value for c in page.caption)


def test_a_broken_sweep_folder_is_one_error_line(dashboard_env: Path, tmp_path: Path, monkeypatch) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "sweep.json").write_text('{"axes": {"grace_min": {"path": "policy.rules.overstay.grace_min"}}}')
    pd.DataFrame({"run_id": ["a"]}).to_parquet(broken / "runs.parquet")
    pd.DataFrame({"n": [1], "served_mean": [1.0]}).to_parquet(broken / "cells.parquet")
    monkeypatch.setenv("BAYTWIN_DASHBOARD_RUNS", str(tmp_path))
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert [e.value for e in at.error] == [f"error: {broken / 'cells.parquet'}: grace_min: axis column missing"]
