"""Running a sweep's runs on Dask, short runs batched into one task, keeping each result as it arrives.

By default an embedded ``LocalCluster`` (one single-threaded worker process per core: the twin is
pure Python, so threads would only queue behind the GIL). Where the platform allows it its worker
processes are forked from this one, the twin already imported: started the default way, each worker
spent seconds importing Python's scientific stack and the twin again, which dominated a sweep of short
runs. The same worker processes then serve every task of the sweep. With a scheduler address the runs
go to an existing cluster, whose workers need baytwin installed but not the scenario files (each task
carries its validated scenario).

Runs are grouped into tasks by their estimated cost (sim/sweep/batch.py). A simulation that raises
comes back as an error record and is not retried: it would fail again. A worker that dies takes only
its current task with it; the scheduler gives that task to another worker, and ``retries`` covers any
other failure outside the simulation.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from baytwin.sim.sweep.batch import batches, run_batch, runs_per_task
from baytwin.sim.sweep.plan import RunTask, SweepPlan
from baytwin.sim.sweep.store import RunRecord, RunStore
from baytwin.sim.sweep.task import Task, simulate

RETRIES = 2
START_TIMEOUT_S = 60  # a worker process not up by then never will be (a fork that inherited a held lock)
Progress = Callable[[RunRecord], None]


class SchedulerProblem(RuntimeError):
    """The Dask scheduler could not be reached, or the local cluster's workers did not start."""


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
    from distributed import Client

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
    import dask

    logging.getLogger("distributed").setLevel(logging.ERROR)  # a restarted worker is reported in the summary
    method = worker_start_method()
    try:
        cluster = local_cluster(workers, method)
    except SchedulerProblem:
        if method == "spawn":
            raise
        method = "spawn"  # a forked worker that hangs while starting: a fresh interpreter has no held lock
        cluster = local_cluster(workers, method)
    # Kept for the cluster's life: a worker that dies is restarted by its nanny the same way.
    with dask.config.set({"distributed.worker.multiprocessing-method": method}):
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()


def local_cluster(workers: int | None, method: str) -> Any:  # distributed is an optional extra
    """A local cluster of single-threaded worker processes started by ``method``, each given
    ``START_TIMEOUT_S`` to start: without a bound, a worker that hangs while starting leaves the
    sweep waiting for ever."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.worker.multiprocessing-method": method}):
        try:
            return LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                processes=True, dashboard_address=None, death_timeout=START_TIMEOUT_S)
        except Exception as err:  # Dask reports a start that timed out in several ways
            raise SchedulerProblem(f"the local Dask cluster's workers ({method}) did not start within "
                                   f"{START_TIMEOUT_S} s ({type(err).__name__})") from None


def worker_start_method() -> str:
    """``fork`` on Linux from a process without other Python threads, where a forked worker starts
    with the twin imported (a fraction of a second instead of several); otherwise Dask's default,
    ``spawn``.

    A fork copies only the calling thread: a lock another Python thread held at that moment (logging's,
    the import lock) stays held for ever in the child, whose start then hangs. Native pools that
    register fork handlers (OpenBLAS, jemalloc) run in every process that imported numpy or pyarrow and
    are not counted. Should a forked start hang all the same, ``dask_client`` starts again by spawning.
    """
    import threading

    if not sys.platform.startswith("linux"):
        return "spawn"
    return "fork" if threading.active_count() == 1 else "spawn"


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
            on_done: Progress | None = None, retries: int = RETRIES, per_task: int | None = None) -> Outcome:
    """Run every pending run of ``plan`` on ``client``'s cluster, each record saved as its task returns.

    ``task`` is what a worker does with one run (``simulate`` in production; a test passes its own
    wrapper around it to kill a worker mid-run). ``per_task`` runs go to one Dask task; by default as
    many as the runs' estimated cost and the cluster's size call for (sim/sweep/batch.py).
    """
    from distributed import as_completed

    outcome = Outcome()
    pending = pending_runs(plan, store, outcome)
    if not pending:
        return outcome
    size = per_task or runs_per_task(pending, cluster_slots(client))
    groups = {}
    for group in batches(pending, size):
        future = client.submit(run_batch, task, group, retries=retries, pure=False,  # type: ignore[attr-defined]
                               key=f"baytwin-runs-{group[0].run_id}-{len(group)}-{os.urandom(4).hex()}")
        groups[future] = group
    try:
        for future in as_completed(groups):
            group = groups.pop(future)
            try:
                results = {run_id: (status, payload) for run_id, status, payload in future.result()}
            except Exception as err:  # lost beyond its retries (e.g. it killed every worker it met)
                results = {run.run_id: ("error", f"{type(err).__name__}: {err}") for run in group}
            for run in group:
                record = _save(store, run, *results[run.run_id])
                if not record.ok:
                    outcome.failed.append(record)
                outcome.ran += 1
                if on_done is not None:
                    on_done(record)
    finally:
        for future in groups:  # interrupted: nothing left running on the cluster
            future.cancel()
    return outcome


def cluster_slots(client: object) -> int:
    """How many tasks the cluster runs at once: its worker threads (one per process locally)."""
    return max(1, sum(client.nthreads().values()))  # type: ignore[attr-defined]


def _save(store: RunStore, run: RunTask, status: str, payload: object) -> RunRecord:
    if status == "ok":
        return store.save(run, payload, None)  # type: ignore[arg-type]
    return store.save(run, None, str(payload))
