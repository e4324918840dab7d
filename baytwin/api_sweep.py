"""``baytwin.sweep``: a grid of variants, replicated, run on Dask, and its cells table back as a frame.

It is ``baytwin sweep`` without the terminal: the same plan (every cell validated before anything runs,
replication r with seed base + r in every cell), the same Dask execution, the same folder of run records
and tables. A notebook gives the grid as a dict ({"grace_min": [5, 15]}) or as the command's strings
(["grace_min=5,15"]); a dict is written as the command's strings, so both go through one parser.
Without ``out`` the folder is a temporary one, gone when the table is returned.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Union

import pandas as pd

from baytwin.api_imports import needing, twin_runner
from baytwin.api_scenario import ScenarioLike, check_days, checked_overrides, whole_number, with_overrides
from baytwin.sim.scenario import Scenario

Grid = Union[Mapping[str, Any], Sequence[str]]


def sweep(scenario: ScenarioLike, grid: Grid, *, replications: int = 10, days: float | None = None,
          base_seed: int | None = None, overrides: Mapping[str, Any] | None = None, workers: int | None = None,
          scheduler: str | None = None, out: str | Path | None = None, runs_per_task: int | None = None,
          progress: bool = False) -> pd.DataFrame:
    """Run every combination of the grid's axes ``replications`` times and return the cells table.

    One row per cell: ``cell``, a column per axis, ``n`` (successful runs), and for every figure of
    summary.json ``<figure>_mean``, ``<figure>_ci_low``, ``<figure>_ci_high`` (Student's t, 95 %).
    ``grid``: {"grace_min": [5, 15], "site.signage": ["poor", "good"]} or ["grace_min=5,15", ...]; an
    axis is a dotted path or a short name, as ``--grid`` takes it. ``out``: keep the sweep's folder there
    (runs.parquet, cells.parquet/csv, sweep.json; resumable, like the command's); default a temporary one.
    ``workers``: local worker processes (default one per core); ``scheduler``: an existing Dask cluster.
    Runs that fail, and axes that changed nothing, are reported as warnings; the table holds the rest.
    """
    with needing("baytwin.sweep"):
        import distributed  # noqa: F401 - missing, it is named before any folder is made
    twin_runner()  # the twin, imported quietly before the sweep's modules bring it
    from baytwin.sim.sweep.plan import plan_sweep
    from baytwin.sim.sweep.store import RunStore

    check_days(days)
    _check_counts(replications, workers, scheduler, runs_per_task)
    if base_seed is not None:
        base_seed = whole_number(base_seed, "base_seed")
    items = grid_items(grid)
    fixed = checked_overrides(overrides)
    if isinstance(scenario, Scenario):
        given: Scenario = scenario
        plan = plan_sweep(given.name, items, replications, base_seed, days, fixed,
                          load=lambda _name, changes: with_overrides(given, changes))
        simulation = None
    else:
        plan, simulation = _plan(str(scenario), items, replications, base_seed, days, fixed)
    with _folder(out) as folder:
        store = RunStore(folder)
        store.claim(plan)
        report = _execute(plan, store, scheduler, workers, runs_per_task, simulation, progress)
        _warn_axes_without_effect(folder, plan.axes)
    _warn_failures(report.failed, len(plan.runs), out)
    cells = report.cells
    cells.attrs = {"scenario": plan.scenario_name, "axes": {a.name: a.path for a in plan.axes},
                   "replications": plan.replications, "base_seed": plan.base_seed, "days": plan.days,
                   "folder": str(out) if out is not None else None}
    return cells


def grid_items(grid: Grid) -> list[str]:
    """The grid as ``--grid`` strings: a dict's values written as a YAML flow list (``name=[5, 15]``), which
    the command's parser reads back as exactly those values, commas inside them included."""
    if isinstance(grid, str):
        return [grid]
    if isinstance(grid, Mapping):
        items = []
        for name, values in grid.items():
            one = isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable)
            listed = [values] if one else list(values)  # a list, a range, an array; a lone value is one
            if not listed:
                raise ValueError(f"grid {name}: no values")
            items.append(f"{name}=" + json.dumps(listed, default=_plain))
        return items
    if isinstance(grid, Sequence) and all(isinstance(item, str) for item in grid):
        return list(grid)
    raise TypeError("grid: a dict {axis: [values]} or a list of 'axis=v1,v2' strings")


def _plain(value: Any) -> Any:
    """NumPy numbers (a grid from ``np.arange``) as the Python numbers they stand for."""
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise TypeError(f"grid: {value!r} is not a value a scenario field can take")


def _plan(scenario: str, items: list[str], replications: int, base_seed: int | None, days: float | None,
          fixed: dict[str, Any]) -> tuple[Any, Any]:
    """The plan, and what a worker runs: a scenario's, or a portfolio's whose cells run every site."""
    from baytwin.sim.portfolio import find_portfolio
    from baytwin.sim.sweep.plan import plan_sweep

    if find_portfolio(scenario) is None:
        return plan_sweep(scenario, items, replications, base_seed, days, fixed), None
    from baytwin.sim.sweep.portfolio import plan_portfolio_sweep, simulate_portfolio

    return plan_portfolio_sweep(scenario, items, replications, base_seed, days, fixed), simulate_portfolio


def _execute(plan: Any, store: Any, scheduler: str | None, workers: int | None, runs_per_task: int | None,
             simulation: Any, progress: bool) -> Any:
    from baytwin.sim.sweep.execute import SchedulerProblem, dask_client
    from baytwin.sim.sweep.run import run_sweep
    from baytwin.sim.sweep.task import simulate

    finished = store.finished(plan)
    try:
        cluster = dask_client(scheduler, workers) if finished < len(plan.runs) else nullcontext(None)
        with warnings.catch_warnings(), _quiet_workers():
            # the local cluster's web server moving to a free port says nothing about the sweep
            warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
            with cluster as client, _progress(progress, plan, finished) as advance:
                return run_sweep(plan, store, client, simulation or simulate, on_done=advance,
                                 per_task=runs_per_task)
    except SchedulerProblem as err:
        raise ConnectionError(str(err)) from None


@contextmanager
def _quiet_workers() -> Iterator[None]:
    """Local workers' own log lines kept out of the notebook while the sweep goes: a worker that misses the
    scheduler's heartbeat as the cluster closes logs an error with a traceback into the cell's output,
    though every run is done. Losses that matter come back as the runs' error records (warned below).
    The workers are forked from this process and take its log levels with them."""
    import logging

    logger = logging.getLogger("distributed.worker")
    before = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(before)


@contextmanager
def _progress(shown: bool, plan: Any, finished: int) -> Iterator[Any]:
    if not shown:
        yield None
        return
    from baytwin.common import progress_bar

    with progress_bar("runs") as bar:
        task = bar.add_task(plan.scenario_name, total=len(plan.runs), completed=finished)
        yield lambda _record: bar.advance(task)


@contextmanager
def _folder(out: str | Path | None) -> Iterator[Path]:
    if out is not None:
        yield Path(out)
        return
    with tempfile.TemporaryDirectory(prefix="baytwin-sweep-") as temporary:
        yield Path(temporary)


def _check_counts(replications: int, workers: int | None, scheduler: str | None, runs_per_task: int | None) -> None:
    for name, value in (("replications", replications), ("workers", workers), ("runs_per_task", runs_per_task)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name}: must be a whole number of at least 1 (got {value!r})")
    if workers is not None and scheduler is not None:
        raise ValueError("workers applies to the local cluster; with scheduler the cluster has its own workers")


def _warn_axes_without_effect(folder: Path, axes: Any) -> None:
    from baytwin.sim.sweep.effect import axes_without_effect, no_effect_message

    runs_file = folder / "runs.parquet"
    if not runs_file.is_file():
        return
    runs = pd.read_parquet(runs_file)
    for name in axes_without_effect(runs, [a.name for a in axes]):
        path = next((a.path for a in axes if a.name == name), name)
        warnings.warn(no_effect_message(name, path), UserWarning, stacklevel=3)


def _warn_failures(failed: list[Any], total: int, out: str | Path | None) -> None:
    if not failed:
        return
    first = failed[0]
    where = f"; rerun with the same out={str(out)!r} to retry them" if out is not None else ""
    warnings.warn(f"{len(failed)} of {total} run(s) failed, left out of the table (first: {first.cell} seed "
                  f"{first.seed}: {first.error}){where}", RuntimeWarning, stacklevel=3)
