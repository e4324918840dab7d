"""Grouping short runs into one task: by their cost in bay-days, never starving the cluster's processes."""

from __future__ import annotations

from pathlib import Path

from baytwin.sim.sweep.batch import TASKS_PER_SLOT, batches, bay_days, run_batch, runs_per_task
from baytwin.sim.sweep.plan import RunTask, plan_sweep
from baytwin.sim.sweep.task import Metrics


def test_a_runs_cost_is_its_days_times_its_bays(tiny: Path) -> None:
    plan = plan_sweep(str(tiny), ["grace_min=5"], replications=1, days=3, fixed={"site.general_bays": 6})
    assert bay_days(plan.runs[0]) == 3 * (4 + 6)
    assert bay_days(plan_sweep(str(tiny), ["grace_min=5"], replications=1).runs[0]) == 2 * 4  # the scenario's days


def test_short_runs_share_a_task_but_every_worker_keeps_several_tasks(tiny: Path) -> None:
    plan = plan_sweep(str(tiny), ["grace_min=5,10,15,30"], replications=50, days=1)  # 200 runs of 4 bay-days
    size = runs_per_task(plan.runs, slots=2)
    assert size > 1
    assert len(batches(plan.runs, size)) >= 2 * TASKS_PER_SLOT


def test_runs_costlier_than_the_target_get_a_task_each(tiny: Path) -> None:
    plan = plan_sweep(str(tiny), ["grace_min=5,30"], replications=20, days=30)  # 120 bay-days a run
    assert runs_per_task(plan.runs, slots=1, target=100.0) == 1
    assert runs_per_task(plan.runs, slots=1, target=1000.0) == 8


def test_batches_keep_the_plans_order_and_every_run(tiny: Path) -> None:
    plan = plan_sweep(str(tiny), ["grace_min=5,10,30"], replications=3)
    groups = batches(plan.runs, 4)
    assert [len(g) for g in groups] == [4, 4, 1]
    assert [run for group in groups for run in group] == plan.runs


class FailsForSeed12:
    def __call__(self, run: RunTask) -> Metrics:
        if run.seed == 12:
            raise RuntimeError("charger model diverged")
        return {"seed_seen": run.seed}


def test_a_failing_run_in_a_batch_is_its_own_error_and_the_others_run(tiny: Path) -> None:
    plan = plan_sweep(str(tiny), ["grace_min=5"], replications=3)  # seeds 11, 12, 13
    outcomes = run_batch(FailsForSeed12(), plan.runs)
    assert [run_id for run_id, _, _ in outcomes] == [r.run_id for r in plan.runs]
    assert [status for _, status, _ in outcomes] == ["ok", "error", "ok"]
    assert outcomes[0][2] == {"seed_seen": 11} and "charger model diverged" in str(outcomes[1][2])
