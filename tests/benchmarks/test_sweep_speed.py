"""How well a sweep spreads over Dask workers: parallel efficiency, serial time / (wall time x workers).

The baseline, measured in the same run, is the same simulations run one after another in this process
(no Dask). Three sweeps:
* a 40-run scenario sweep on two workers (and on one, to show what the cluster itself costs), cluster
  start-up outside the timing;
* a portfolio sweep (the bundled estate, 8 runs of three sites each) on two workers, start-up outside;
* a 16-run sweep of 7-day runs as a user meets it, the local cluster's start and stop included: the
  sweep where start-up and per-task overhead weigh most (docs/outputs.md, *Performance*).
On a machine shared with other work the efficiency is a lower bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from baytwin.sim.runner import run
from baytwin.sim.sweep.execute import dask_client
from baytwin.sim.sweep.plan import RunTask, SweepPlan, plan_sweep
from baytwin.sim.sweep.portfolio import plan_portfolio_sweep, simulate_portfolio
from baytwin.sim.sweep.run import run_sweep
from baytwin.sim.sweep.store import RunStore
from baytwin.sim.sweep.task import Metrics, simulate
from tests.benchmarks.figures import Figure, Target, record

GRID = ["grace_min=5,10,15,30", "signage=poor,good"]  # 8 cells x 5 replications = 40 runs
DAYS = 14
EFFICIENCY_TARGET = (Target("value", ">=", 0.85),)


def serial_seconds(plan: SweepPlan, task: Callable[[RunTask], Metrics]) -> float:
    """The plan's simulations one after another in this process: the baseline."""
    started = time.perf_counter()
    for one in plan.runs:
        task(one)
    return time.perf_counter() - started


def sweep_seconds(plan: SweepPlan, workers: int, out: Path, task: Callable[[RunTask], Metrics] = simulate) -> float:
    with dask_client(workers=workers) as client:
        client.wait_for_workers(workers)  # type: ignore[attr-defined]
        started = time.perf_counter()
        report = run_sweep(plan, RunStore(out), client, task)
        elapsed = time.perf_counter() - started
    assert report.done == len(plan.runs) and report.outcome.ran == len(plan.runs)
    return elapsed


def record_efficiency(benchmark, serial: float, wall: float, workers: int, what: str,  # type: ignore[no-untyped-def]
                      targets: tuple[Target, ...] = ()) -> Figure:
    """The sweep's wall time beside the ideal (serial / workers), and the efficiency with its target."""
    record(benchmark, f"{what}, {workers} workers", wall, "s", baseline=serial / workers,
           baseline_name=f"serial in process / {workers}")
    return record(benchmark, f"{what}, parallel efficiency", serial / (wall * workers), "", targets=targets,
                  better="higher", note=f"serial {serial:.1f} s, wall {wall:.1f} s")


def test_sweep_parallel_efficiency_on_two_workers(benchmark, tmp_path: Path) -> None:
    plan = plan_sweep("workplace-garage/enforced", GRID, replications=5, days=DAYS)
    assert len(plan.runs) == 40
    serial = serial_seconds(plan, simulate)
    one = sweep_seconds(plan, 1, tmp_path / "one")
    with dask_client(workers=2) as client:
        client.wait_for_workers(2)  # type: ignore[attr-defined]
        report = benchmark.pedantic(lambda: run_sweep(plan, RunStore(tmp_path / "two"), client), rounds=1, iterations=1)
    assert report.done == 40 and report.outcome.ran == 40
    two = benchmark.stats.stats.median
    record(benchmark, "40-run sweep, 1 worker", one, "s", baseline=serial, baseline_name="serial in process")
    efficiency = record_efficiency(benchmark, serial, two, 2, "40-run sweep")
    benchmark.extra_info.update({"runs": 40, "days_per_run": DAYS, "serial_in_process_seconds": round(serial, 2),
                                 "one_worker_seconds": round(one, 2), "two_workers_seconds": round(two, 2)})
    print(f"\n40-run sweep: serial in process {serial:.1f} s, 1 worker {one:.1f} s, 2 workers {two:.1f} s; "
          f"parallel efficiency {efficiency.value:.2f}")


def test_portfolio_sweep_parallel_efficiency_on_two_workers(benchmark, tmp_path: Path) -> None:
    plan = plan_portfolio_sweep("portfolios/north-estate", ["grace_min=5,15"], replications=4, days=DAYS)
    assert len(plan.runs) == 8
    serial = serial_seconds(plan, simulate_portfolio)
    two = benchmark.pedantic(lambda: sweep_seconds(plan, 2, tmp_path / "two", simulate_portfolio),
                             rounds=1, iterations=1)
    efficiency = record_efficiency(benchmark, serial, two, 2, "portfolio sweep", EFFICIENCY_TARGET)
    benchmark.extra_info.update({"runs": 8, "sites": 3, "days_per_run": DAYS,
                                 "serial_in_process_seconds": round(serial, 2), "two_workers_seconds": round(two, 2)})
    print(f"\nportfolio sweep, 8 runs: serial in process {serial:.1f} s, 2 workers {two:.1f} s; "
          f"parallel efficiency {efficiency.value:.2f}")


def test_a_short_sweep_as_a_user_waits_for_it(benchmark, tmp_path: Path) -> None:
    plan = plan_sweep("workplace-garage/enforced", ["grace_min=5,10,15,30"], replications=4, days=7)
    assert len(plan.runs) == 16
    serial = serial_seconds(plan, simulate)

    def whole() -> None:
        with dask_client(workers=2) as client:
            assert run_sweep(plan, RunStore(tmp_path / "two"), client).done == 16

    benchmark.pedantic(whole, rounds=1, iterations=1)
    wall = benchmark.stats.stats.median
    efficiency = record_efficiency(benchmark, serial, wall, 2, "16-run sweep with cluster start and stop")
    benchmark.extra_info.update({"runs": 16, "days_per_run": 7, "serial_in_process_seconds": round(serial, 2),
                                 "wall_seconds": round(wall, 2)})
    print(f"\n16-run sweep of 7-day runs, cluster start and stop included: serial {serial:.1f} s, "
          f"2 workers {wall:.1f} s, parallel efficiency {efficiency.value:.2f}")
