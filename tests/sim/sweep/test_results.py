"""The sweep's tables: confidence intervals across replications, counts a summary leaves out."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from baytwin.sim.sweep.plan import plan_sweep
from baytwin.sim.sweep.results import cells_table, runs_table, t_interval
from baytwin.sim.sweep.store import RunRecord


def test_t_interval_matches_the_textbook_value() -> None:
    mean, low, high = t_interval(pd.Series([1.0, 2.0, 3.0, 4.0]))
    # mean 2.5, sd 1.29099, t(0.975, 3) = 3.18245 -> half-width 2.05426
    assert mean == 2.5
    assert low == pytest.approx(2.5 - 2.05426, abs=1e-4) and high == pytest.approx(2.5 + 2.05426, abs=1e-4)


def test_one_value_has_no_interval_and_missing_values_are_skipped() -> None:
    mean, low, high = t_interval(pd.Series([7.0, None]))
    assert mean == 7.0 and math.isnan(low) and math.isnan(high)
    assert all(math.isnan(v) for v in t_interval(pd.Series([None], dtype=float)))


def test_counts_a_run_left_out_are_zero_and_cells_aggregate_their_runs(tiny: Path) -> None:
    plan = plan_sweep(str(tiny), ["grace_min=5,30"], replications=2)
    metrics = [{"arrivals": 10, "precision": None, "violations_by_rule.overstay.true": 3},
               {"arrivals": 14, "precision": 0.5},
               {"arrivals": 20, "precision": 1.0, "violations_by_rule.overstay.true": 1},
               {"arrivals": 22, "precision": 1.0, "violations_by_rule.overstay.true": 5}]
    records = [RunRecord(r.run_id, r.cell.id, dict(r.cell.values), r.replication, r.seed, m, None)
               for r, m in zip(plan.runs, metrics, strict=True)]
    runs = runs_table(plan, records)
    assert list(runs.columns[:5]) == ["run_id", "cell", "grace_min", "replication", "seed"]
    assert runs["violations_by_rule.overstay.true"].tolist() == [3, 0, 1, 5]
    cells = cells_table(plan, runs, ["arrivals", "precision", "violations_by_rule.overstay.true"])
    assert cells["grace_min"].tolist() == [5, 30] and cells["n"].tolist() == [2, 2]
    assert cells["arrivals_mean"].tolist() == [12.0, 21.0]
    assert cells.loc[0, "precision_mean"] == 0.5 and math.isnan(cells.loc[0, "precision_ci_low"])
    assert cells.loc[1, "arrivals_ci_low"] < 21.0 < cells.loc[1, "arrivals_ci_high"]
