"""A whole sweep: claim the folder, run what is missing, rebuild the tables from every record."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from baytwin.sim.sweep.execute import Outcome, Progress, execute
from baytwin.sim.sweep.plan import SweepPlan
from baytwin.sim.sweep.results import write_tables
from baytwin.sim.sweep.store import RunRecord, RunStore
from baytwin.sim.sweep.task import Task, simulate


@dataclass
class SweepReport:
    outcome: Outcome
    cells: pd.DataFrame
    metrics: list[str]
    done: int
    failed: list[RunRecord]


def run_sweep(plan: SweepPlan, store: RunStore, client: object, task: Task = simulate,
              on_done: Progress | None = None, per_task: int | None = None) -> SweepReport:
    """Run the plan's missing runs on ``client`` and write runs.parquet, cells.parquet/csv and sweep.json.

    The tables come from the run records on disk, so they are the same whether the runs finished
    now or in an earlier, interrupted invocation. ``per_task`` runs go to one Dask task (default: chosen
    from the runs' estimated cost, sim/sweep/batch.py).
    """
    store.claim(plan)
    outcome = execute(client, plan, store, task, on_done, per_task=per_task)
    records = [r for r in (store.load(run.run_id) for run in plan.runs) if r is not None]
    cells, metrics = write_tables(plan, records, store.folder)
    failed = [r for r in records if not r.ok]
    done = len(records) - len(failed)
    store.write_manifest(plan, metrics, {"total": len(plan.runs), "done": done, "failed": len(failed)}, failed)
    return SweepReport(outcome, cells, metrics, done, failed)
