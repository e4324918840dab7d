"""How well a sweep spreads over Dask workers: a 40-run sweep on one worker, then on two.

Reported as the parallel efficiency (speedup on two workers / 2) in ``extra_info``, with the
one-worker sweep as the baseline measured in the same run, and the same 40 simulations run one
after another in this process (no Dask) to show what the cluster itself costs. Cluster start-up
is outside the timings. On a machine shared with other work the efficiency is a lower bound.
"""

from __future__ import annotations

import time
from pathlib import Path

from sim.runner import run
from sim.sweep.execute import dask_client
from sim.sweep.plan import SweepPlan, plan_sweep
from sim.sweep.run import run_sweep
from sim.sweep.store import RunStore

GRID = ["grace_min=5,10,15,30", "signage=poor,good"]  # 8 cells x 5 replications = 40 runs
DAYS = 14


def sweep_seconds(plan: SweepPlan, workers: int, out: Path) -> float:
    with dask_client(workers=workers) as client:
        client.wait_for_workers(workers)  # type: ignore[attr-defined]
        started = time.perf_counter()
        report = run_sweep(plan, RunStore(out), client)
        elapsed = time.perf_counter() - started
    assert report.done == 40 and report.outcome.ran == 40
    return elapsed


def test_sweep_parallel_efficiency_on_two_workers(benchmark, tmp_path: Path) -> None:
    plan = plan_sweep("workplace-garage/enforced", GRID, replications=5, days=DAYS)
    assert len(plan.runs) == 40

    started = time.perf_counter()
    for task in plan.runs:
        run(task.scenario, seed=task.seed, days=task.days)
    serial = time.perf_counter() - started

    one = sweep_seconds(plan, 1, tmp_path / "one")
    with dask_client(workers=2) as client:
        client.wait_for_workers(2)  # type: ignore[attr-defined]
        report = benchmark.pedantic(lambda: run_sweep(plan, RunStore(tmp_path / "two"), client), rounds=1, iterations=1)
    assert report.done == 40 and report.outcome.ran == 40
    two = benchmark.stats.stats.mean
    speedup = one / two
    benchmark.extra_info.update({
        "runs": 40, "days_per_run": DAYS, "serial_in_process_seconds": round(serial, 2),
        "one_worker_seconds": round(one, 2), "two_workers_seconds": round(two, 2),
        "speedup": round(speedup, 2), "parallel_efficiency": round(speedup / 2, 2),
        "one_worker_to_serial": round(one / serial, 2),
    })
    print(f"\n40-run sweep: serial in process {serial:.1f} s, 1 worker {one:.1f} s, 2 workers {two:.1f} s; "
          f"speedup {speedup:.2f}, parallel efficiency {speedup / 2:.2f}, 1 worker / serial {one / serial:.2f}")
