"""A whole sweep on a two-process Dask cluster: the tables, their agreement with a direct run, resuming."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from baytwin.sim.runner import run
from baytwin.sim.scenario import load_scenario
from baytwin.sim.sweep.plan import RunTask, plan_sweep
from baytwin.sim.sweep.run import run_sweep
from baytwin.sim.sweep.store import RunStore, SweepFolderProblem
from baytwin.sim.sweep.task import Metrics, flatten_summary, simulate

GRID = ["grace_min=5,30", "signage=poor,good"]


class FailsForGrace30Seed12:
    """A task whose simulation raises for one run, as a broken scenario variant would."""

    def __call__(self, run: RunTask) -> Metrics:
        if run.scenario.policy.rules.overstay.grace_min == 30 and run.seed == 12:
            raise RuntimeError("charger model diverged")
        return simulate(run)


def test_a_sweep_writes_one_row_per_run_matching_direct_runs(tiny: Path, tmp_path: Path, client) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "sweep"
    plan = plan_sweep(str(tiny), GRID, replications=2, days=2)
    report = run_sweep(plan, RunStore(out), client)
    assert report.done == 8 and not report.failed and report.outcome.ran == 8

    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 8 and runs["run_id"].is_unique
    assert list(runs.columns[:6]) == ["run_id", "cell", "grace_min", "signage", "replication", "seed"]
    assert sorted(runs["seed"].unique()) == [11, 12]
    assert runs.groupby("cell")["seed"].apply(sorted).map(tuple).unique().tolist() == [(11, 12)]

    row = runs[(runs["grace_min"] == 30) & (runs["signage"] == "poor") & (runs["seed"] == 12)].iloc[0]
    _model, direct = run(load_scenario(tiny, {"policy.rules.overstay.grace_min": 30, "site.signage": "poor"}),
                         seed=12, days=2)
    expected = flatten_summary(direct.summary)
    for name, value in expected.items():
        if name == "wall_seconds":
            continue
        assert row[name] == pytest.approx(value if value is not None else math.nan, nan_ok=True), name

    cells = pd.read_csv(out / "cells.csv")
    assert len(cells) == 4 and (cells["n"] == 2).all()
    assert (cells["arrivals_ci_low"] <= cells["arrivals_mean"]).all()
    assert (cells["arrivals_mean"] <= cells["arrivals_ci_high"]).all()
    assert set(pd.read_parquet(out / "cells.parquet").columns) == set(cells.columns)

    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["axes"]["grace_min"] == {"path": "policy.rules.overstay.grace_min", "values": [5, 30]}
    assert manifest["counts"] == {"total": 8, "done": 8, "failed": 0}
    assert "violations_true" in manifest["metrics"] and manifest["replications"] == 2
    assert manifest["metrics"][0] == "arrivals" and manifest["metrics"][-1] == "wall_seconds"  # outcomes first

    again = run_sweep(plan, RunStore(out), client)
    assert again.outcome.ran == 0 and again.outcome.skipped == 8
    assert pd.read_parquet(out / "runs.parquet").equals(runs)


def test_more_replications_reuse_the_finished_runs(tiny: Path, tmp_path: Path, client) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "sweep"
    run_sweep(plan_sweep(str(tiny), ["grace_min=5,30"], replications=1, days=1), RunStore(out), client)
    report = run_sweep(plan_sweep(str(tiny), ["grace_min=5,30"], replications=2, days=1), RunStore(out), client)
    assert report.outcome.skipped == 2 and report.outcome.ran == 2 and report.done == 4


def test_another_sweep_in_the_same_folder_is_refused(tiny: Path, tmp_path: Path, client) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "sweep"
    run_sweep(plan_sweep(str(tiny), ["grace_min=5"], replications=1, days=1), RunStore(out), client)
    with pytest.raises(SweepFolderProblem, match="different sweep"):
        RunStore(out).claim(plan_sweep(str(tiny), ["grace_min=10"], replications=1, days=1))
    with pytest.raises(SweepFolderProblem, match="days"):
        RunStore(out).claim(plan_sweep(str(tiny), ["grace_min=5"], replications=1, days=2))


def test_a_failing_run_is_recorded_the_others_finish_and_a_rerun_retries_it(tiny: Path, tmp_path: Path, client) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "sweep"
    plan = plan_sweep(str(tiny), GRID, replications=2, days=1)
    report = run_sweep(plan, RunStore(out), client, task=FailsForGrace30Seed12())
    assert report.done == 6 and len(report.failed) == 2
    assert all("charger model diverged" in r.error for r in report.failed)
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["counts"] == {"total": 8, "done": 6, "failed": 2}
    assert {f["seed"] for f in manifest["failed"]} == {12}
    assert len(pd.read_parquet(out / "runs.parquet")) == 6
    cells = pd.read_parquet(out / "cells.parquet")
    assert sorted(cells["n"]) == [1, 1, 2, 2]

    rerun = run_sweep(plan, RunStore(out), client)
    assert rerun.outcome.retried_failures == 2 and rerun.outcome.ran == 2 and rerun.done == 8 and not rerun.failed


def test_runs_batched_into_one_task_give_the_tables_of_one_run_per_task(tiny: Path, tmp_path: Path, client) -> None:  # type: ignore[no-untyped-def]
    plan = plan_sweep(str(tiny), GRID, replications=2, days=1)
    single = run_sweep(plan, RunStore(tmp_path / "single"), client, per_task=1)
    batched = run_sweep(plan, RunStore(tmp_path / "batched"), client, per_task=3)
    assert single.done == batched.done == 8 and batched.outcome.ran == 8
    one, three = (pd.read_parquet(tmp_path / name / "runs.parquet").drop(columns="wall_seconds")
                  for name in ("single", "batched"))
    pd.testing.assert_frame_equal(one, three)
