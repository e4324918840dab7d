"""Dask execution: a worker that dies loses only its current run, which runs again elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from baytwin.sim.sweep.plan import RunTask, plan_sweep
from baytwin.sim.sweep.run import run_sweep
from baytwin.sim.sweep.store import RunStore
from baytwin.sim.sweep.task import Metrics, simulate


class KillsItsWorkerOnce:
    """Kills the worker process running ``victim`` on the first attempt (a marker file remembers it)."""

    def __init__(self, victim: str, marker: Path) -> None:
        self.victim, self.marker = victim, marker

    def __call__(self, run: RunTask) -> Metrics:
        if run.run_id == self.victim and not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os._exit(1)
        return simulate(run)


def test_a_killed_workers_run_is_retried_and_completes(tiny: Path, tmp_path: Path, client) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "sweep"
    plan = plan_sweep(str(tiny), ["grace_min=5,30"], replications=2, days=1)
    victim = plan.runs[1].run_id
    marker = tmp_path / "killed"
    report = run_sweep(plan, RunStore(out), client, task=KillsItsWorkerOnce(victim, marker))
    assert marker.exists(), "the worker was never killed"
    assert report.done == 4 and not report.failed
    runs = pd.read_parquet(out / "runs.parquet")
    assert victim in set(runs["run_id"])
    assert runs.set_index("run_id").loc[victim, "arrivals"] > 0


def test_a_killed_workers_batch_is_run_again_and_every_run_of_it_kept(tiny: Path, tmp_path: Path, client) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "sweep"
    plan = plan_sweep(str(tiny), ["grace_min=5,30"], replications=3, days=1)
    victim = plan.runs[1].run_id  # the middle of the first batch of three
    marker = tmp_path / "killed"
    report = run_sweep(plan, RunStore(out), client, task=KillsItsWorkerOnce(victim, marker), per_task=3)
    assert marker.exists(), "the worker was never killed"
    assert report.done == 6 and not report.failed and report.outcome.ran == 6
    assert set(pd.read_parquet(out / "runs.parquet")["run_id"]) == {r.run_id for r in plan.runs}


def test_workers_that_hang_while_starting_give_a_clear_error_not_a_hang(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dask
    import distributed  # noqa: F401  # its defaults must be in Dask's config before a key under them is set:
    import pytest       # else leaving the set() below takes the whole "distributed" section away with it

    from baytwin.sim.sweep import execute

    hangs = tmp_path / "hang_on_start.py"  # a worker preload runs inside the worker's start
    hangs.write_text("import time\ntime.sleep(3600)\n")
    monkeypatch.setattr(execute, "START_TIMEOUT_S", 3.0)
    monkeypatch.setattr(execute, "worker_start_method", lambda: "fork")
    with dask.config.set({"distributed.worker.preload": [str(hangs)]}):  # forked, then spawned: both hang
        with pytest.raises(execute.SchedulerProblem, match=r"\(spawn\) did not start within 3.0 s"):
            with execute.dask_client(workers=1):
                pass


def test_a_process_running_other_threads_spawns_its_workers_instead_of_forking() -> None:
    import threading

    from baytwin.sim.sweep.execute import worker_start_method

    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert worker_start_method() == "spawn"
    finally:
        release.set()
        other.join()
