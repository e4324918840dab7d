"""Short runs grouped into one Dask task, so that per-task overhead stops dominating a sweep of short runs.

Every task costs the scheduler a round trip, the scenario's pickling and the result's return, which
matters next to a run of a few bays for a few days. Runs are therefore batched by an estimate of their
cost, *bay-days* (days simulated x bays at the site, or at every site of a portfolio): a batch holds
runs until it reaches ``TARGET_BAY_DAYS`` (about a second or two of simulation), but never so many
that the cluster's processes run out of work before the end (at least ``TASKS_PER_SLOT`` tasks per
worker thread while runs last). A long run is a task of its own, as before.

A batch's runs are consecutive in the plan, so they mostly share one cell: the cell's scenario is sent
once for the whole batch. A worker that dies takes its batch with it and Dask runs the batch again
elsewhere; the runs of finished batches are kept as they come back, so a stopped sweep still resumes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from baytwin.sim.portfolio import Portfolio
from baytwin.sim.sweep.plan import RunTask
from baytwin.sim.sweep.task import Metrics, Task, guarded

TARGET_BAY_DAYS = 3000.0  # a 50-bay site for 60 days; measured at ~0.6 ms per bay-day (docs/outputs.md)
TASKS_PER_SLOT = 4  # tasks per worker thread, at least, so the last tasks do not leave a process idle

Outcome = tuple[str, str, "Metrics | str"]  # (run_id, "ok" or "error", figures or the error)


def bay_days(run: RunTask) -> float:
    """What a run costs, roughly: days simulated x bays (EV and general) at every site it runs."""
    scenario = run.scenario
    sites = [m.scenario for m in scenario.sites] if isinstance(scenario, Portfolio) else [scenario]
    days = run.days if run.days is not None else scenario.days
    return float(days) * sum(s.site.ev_bays + s.site.general_bays for s in sites)


def runs_per_task(runs: Sequence[RunTask], slots: int, target: float = TARGET_BAY_DAYS) -> int:
    """How many runs one task takes: as many as fit ``target`` bay-days (by the sweep's median run), at
    most what keeps ``TASKS_PER_SLOT`` tasks per worker thread, and at least one."""
    if not runs:
        return 1
    costs = sorted(bay_days(run) for run in runs)
    median = max(costs[len(costs) // 2], 1e-9)
    by_cost = math.floor(target / median)
    by_balance = math.ceil(len(runs) / (max(1, slots) * TASKS_PER_SLOT))
    return max(1, min(by_cost, by_balance))


def batches(runs: Sequence[RunTask], size: int) -> list[list[RunTask]]:
    """The runs in plan order, ``size`` to a batch (the last may be shorter)."""
    size = max(1, size)
    return [list(runs[i:i + size]) for i in range(0, len(runs), size)]


def run_batch(task: Task, runs: list[RunTask]) -> list[Outcome]:
    """On a worker: each run of the batch in turn, a failing simulation recorded and the others run."""
    return [(run.run_id, *guarded(task, run)) for run in runs]
