"""How well a sweep spreads over Dask workers: parallel efficiency, serial time / (wall time x workers).

The baseline, measured in the same run, is the same simulations run one after another in this process
(no Dask). Three sweeps:
* a 40-run scenario sweep on two workers (and on one, to show what the cluster itself costs), cluster
  start-up outside the timing;
* a portfolio sweep (the bundled estate, 8 runs of three sites each) on two workers, start-up outside;
* a 20-site portfolio year (sites of every bundled kind and size), each site a task on two workers,
  against the same sites one after another in this process;
* a 16-run sweep of 7-day runs as a user meets it, the local cluster's start and stop included: the
  sweep where start-up and per-task overhead weigh most (docs/outputs.md, *Performance*).
On a machine shared with other work the efficiency is a lower bound.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from baytwin.sim.runner import run
from baytwin.sim.sweep.execute import dask_client
from baytwin.sim.sweep.plan import RunTask, SweepPlan, plan_sweep
from baytwin.sim.portfolio import load_portfolio
from baytwin.sim.portfolio_run import plan_sites, run_sites
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


PORTFOLIO_DAYS = float(os.environ.get("BAYTWIN_BENCH_PORTFOLIO_DAYS", "365"))
ESTATE_KINDS = ("workplace-garage/enforced", "retail-car-park/anpr", "highway-dc-hub/anpr",
                "residential-block/anpr", "fleet-depot/baseline")


def twenty_site_estate(folder: Path) -> Path:
    """A portfolio of 20 sites: each bundled kind four times, at 0.5x to 2x its bays, as an operator's estate
    of mixed sizes would be (which is what makes balancing the sites over workers matter)."""
    from baytwin.sim.scenario import load_scenario

    lines = ["name: twenty-sites", f"days: {PORTFOLIO_DAYS:g}", "seed: 3", "sites:"]
    for k in range(20):
        kind = ESTATE_KINDS[k % len(ESTATE_KINDS)]
        bays = max(2, round(load_scenario(kind).site.ev_bays * (0.5, 1.0, 1.5, 2.0)[k // len(ESTATE_KINDS)]))
        lines.append(f"  - {{scenario: {kind}, label: site-{k:02d}, overrides: {{site.ev_bays: {bays}}}}}")
    path = folder / "twenty-sites.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_portfolio_year_on_two_dask_workers(benchmark, tmp_path: Path) -> None:
    portfolio = load_portfolio(twenty_site_estate(tmp_path))
    started = time.perf_counter()
    serial_summaries = run_sites(plan_sites(portfolio, out=tmp_path / "serial"), workers=1)
    serial = time.perf_counter() - started

    def on_cluster() -> float:
        with dask_client(workers=2) as client:
            client.wait_for_workers(2)  # type: ignore[attr-defined]
            began = time.perf_counter()
            summaries = run_sites(plan_sites(portfolio, out=tmp_path / "two"), client=client)
            elapsed = time.perf_counter() - began
        assert {k: v["arrivals"] for k, v in summaries.items()} == {k: v["arrivals"] for k, v in serial_summaries.items()}
        in_workers.update({k: v["wall_seconds"] for k, v in summaries.items()})
        return elapsed

    in_workers: dict[str, float] = {}

    two = benchmark.pedantic(on_cluster, rounds=1, iterations=1)
    efficiency = record_efficiency(benchmark, serial, two, 2, f"20-site portfolio, {PORTFOLIO_DAYS:g} days",
                                   EFFICIENCY_TARGET)
    alone, beside = (sum(s.values()) for s in ({k: v["wall_seconds"] for k, v in serial_summaries.items()}, in_workers))
    benchmark.extra_info.update({"sites": 20, "days": PORTFOLIO_DAYS, "serial_in_process_seconds": round(serial, 2),
                                 "two_workers_seconds": round(two, 2), "site_runs_alone_seconds": round(alone, 2),
                                 "site_runs_in_workers_seconds": round(beside, 2)})
    print(f"\n20-site portfolio, {PORTFOLIO_DAYS:g} days: serial in process {serial:.1f} s, 2 Dask workers "
          f"{two:.1f} s; parallel efficiency {efficiency.value:.2f}; the sites' own run times {alone:.1f} s alone, "
          f"{beside:.1f} s in the workers")


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
