"""Running a sweep's runs on Dask, one simulation per task, keeping each result as it arrives.

By default an embedded ``LocalCluster`` (one single-threaded worker process per core: the twin is
pure Python, so threads would only queue behind the GIL); with a scheduler address the same runs
go to an existing cluster, whose workers need baytwin installed but not the scenario files (each
task carries its validated scenario).

A simulation that raises comes back as an error record and is not retried: it would fail again.
A worker that dies takes only its current run with it; the scheduler gives that run to another
worker, and ``retries`` covers any other failure outside the simulation.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sim.sweep.plan import RunTask, SweepPlan
from sim.sweep.store import RunRecord, RunStore
from sim.sweep.task import Task, guarded, simulate

RETRIES = 2
Progress = Callable[[RunRecord], None]


class SchedulerProblem(RuntimeError):
    """The Dask scheduler could not be reached."""


@dataclass
class Outcome:
    """What one invocation did: runs skipped (finished before), run now, and the failures."""

    skipped: int = 0
    ran: int = 0
    failed: list[RunRecord] = field(default_factory=list)
    retried_failures: int = 0  # runs that had failed before and were run again


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[object]:
    """A client on the cluster at ``scheduler``, or on a local cluster started (and stopped) here."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise SchedulerProblem(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({err})") from None
        try:
            yield client
        finally:
            client.close()
        return
    logging.getLogger("distributed").setLevel(logging.ERROR)  # a restarted worker is reported in the summary
    cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def pending_runs(plan: SweepPlan, store: RunStore, outcome: Outcome) -> list[RunTask]:
    """The runs without a finished record; runs that failed before are run again."""
    pending = []
    for run in plan.runs:
        record = store.load(run.run_id)
        if record is not None and record.ok:
            outcome.skipped += 1
            continue
        if record is not None:
            outcome.retried_failures += 1
        pending.append(run)
    return pending


def execute(client: object, plan: SweepPlan, store: RunStore, task: Task = simulate,
            on_done: Progress | None = None, retries: int = RETRIES) -> Outcome:
    """Run every pending run of ``plan`` on ``client``'s cluster, each record saved as it arrives.

    ``task`` is what a worker does with one run (``simulate`` in production; a test passes its own
    wrapper around it to kill a worker mid-run).
    """
    from distributed import as_completed

    outcome = Outcome()
    runs = {}
    for run in pending_runs(plan, store, outcome):
        future = client.submit(guarded, task, run, retries=retries, pure=False,  # type: ignore[attr-defined]
                               key=f"baytwin-run-{run.run_id}-{os.urandom(4).hex()}")
        runs[future] = run
    if not runs:
        return outcome
    try:
        for future in as_completed(runs):
            run = runs.pop(future)
            try:
                status, payload = future.result()
            except Exception as err:  # lost beyond its retries (e.g. it killed every worker it met)
                status, payload = "error", f"{type(err).__name__}: {err}"
            if status == "ok":
                record = store.save(run, payload, None)  # type: ignore[arg-type]
            else:
                record = store.save(run, None, str(payload))
                outcome.failed.append(record)
            outcome.ran += 1
            if on_done is not None:
                on_done(record)
    finally:
        for future in runs:  # interrupted: nothing left running on the cluster
            future.cancel()
    return outcome
