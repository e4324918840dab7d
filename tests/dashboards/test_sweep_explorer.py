"""The sweep explorer on a sweep folder built from real runs of a tiny site."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import PAGES

PAGE = PAGES / "2_Sweep_explorer.py"


@pytest.fixture
def page(dashboard_env: Path) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_grid_table_shows_cell_means_of_the_runs_with_the_other_axis_fixed(page: AppTest, sweep_dir: Path) -> None:
    page.selectbox(key="metric").set_value("wrong_identifications")
    page.selectbox(key="x").set_value("grace_min")
    page.selectbox(key="y").set_value("misread_rate").run()
    page.selectbox(key="fixed-fee").set_value(0.5).run()
    assert not page.exception, page.exception
    shown = page.dataframe[0].value
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


def test_best_policy_maximizes_the_objective_under_the_constraint(page: AppTest, sweep_dir: Path) -> None:
    cells = pd.read_parquet(sweep_dir / "cells.parquet")
    bound = float(cells.mean_occupied_bays_mean.median())
    page.selectbox(key="objective").set_value("idle_fee_revenue")
    page.radio(key="direction").set_value("maximize")
    page.selectbox(key="constraint").set_value("mean_occupied_bays").run()
    page.selectbox(key="op").set_value("<=")
    page.number_input(key="bound-mean_occupied_bays").set_value(bound).run()
    assert not page.exception, page.exception
    allowed = cells[cells.mean_occupied_bays_mean <= bound]
    ranked = page.dataframe[1].value
    assert 0 < len(ranked) == len(allowed) < len(cells)
    assert ranked.iloc[0].idle_fee_revenue_mean == pytest.approx(allowed.idle_fee_revenue_mean.max())
    assert ranked.idle_fee_revenue_mean.is_monotonic_decreasing
    assert (ranked.mean_occupied_bays_mean <= bound).all()
    top = ranked.iloc[0]
    message = page.success[0].value
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
    assert len(page.dataframe[1].value) == inside


def test_a_constraint_nothing_meets_says_so(page: AppTest) -> None:
    page.selectbox(key="constraint").set_value("served").run()
    page.selectbox(key="op").set_value(">=")
    page.number_input(key="bound-served").set_value(10_000.0).run()
    assert [w.value for w in page.warning] == ["No policy in the grid meets the constraint."]


def test_a_broken_sweep_folder_is_one_error_line(dashboard_env: Path, tmp_path: Path, monkeypatch) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "sweep.json").write_text('{"axes": {"grace_min": {"path": "policy.rules.overstay.grace_min"}}}')
    pd.DataFrame({"run_id": ["a"]}).to_parquet(broken / "runs.parquet")
    pd.DataFrame({"n": [1], "served_mean": [1.0]}).to_parquet(broken / "cells.parquet")
    monkeypatch.setenv("BAYTWIN_DASHBOARD_RUNS", str(tmp_path))
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert [e.value for e in at.error] == [f"error: {broken / 'cells.parquet'}: grace_min: axis column missing"]
