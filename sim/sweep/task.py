"""What one worker does for one run: simulate, and send back only the summary's figures.

The tables and the model stay on the worker; a few hundred bytes of numbers cross the wire.
Nested counts are flattened into dotted columns (``violations_by_rule.overstay.true``,
``actions_by_kind.warning``), so every figure is a number a table can hold.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from typing import Any

from baytwin.sim.sweep.plan import RunTask

Metrics = dict[str, float | int | None]
Task = Callable[[RunTask], Metrics]

NOT_METRICS = {"seed"}  # a column of its own


def flatten_summary(summary: Mapping[str, Any], prefix: str = "") -> Metrics:
    """The numeric figures of a ``summary.json``, nested mappings as dotted names; text dropped."""
    flat: Metrics = {}
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_summary(value, name + "."))
        elif name not in NOT_METRICS and (value is None or (isinstance(value, (int, float))
                                                            and not isinstance(value, bool))):
            flat[name] = value
    return flat


def simulate(run: RunTask) -> Metrics:
    """Run one simulation (exactly what ``baytwin sim run`` does) and return its flattened figures."""
    from baytwin.sim.runner import run as run_scenario

    _model, result = run_scenario(run.scenario, seed=run.seed, days=run.days)
    return flatten_summary(result.summary)


def guarded(task: Task, run: RunTask) -> tuple[str, Metrics | str]:
    """Call ``task`` on a worker; a failing simulation comes back as its error (not retried: it would
    fail again), so the other runs go on. A worker that dies is another matter: Dask reruns its task."""
    try:
        return "ok", task(run)
    except Exception as err:  # the run's failure is data for the report, not the sweep's end
        frame = traceback.extract_tb(err.__traceback__)[-1]
        return "error", f"{type(err).__name__}: {err} (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})"
