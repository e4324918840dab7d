"""baytwin from Python: what the command line does, as functions a notebook calls and frames it gets back.

    import baytwin
    run = baytwin.simulate("workplace-garage/enforced", days=7, seed=1)
    run.violations            # times in the site's zone
    cells = baytwin.sweep("workplace-garage/enforced", {"grace_min": [5, 15]}, replications=3, days=7)
    reads = baytwin.read_plates("frames/")

Each function goes through the same code as its command (the scenario loader and its overrides, the
runner, the sweep's plan and Dask execution, the plate reader), so a figure seen in a notebook is the
figure the command would have written. A bad scenario, override or axis is the command's one-line
error, raised as ``ConfigError`` (a ``ValueError``). docs/api.md describes every parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from baytwin.api_plates import read_plates
from baytwin.api_imports import twin_runner
from baytwin.api_scenario import ScenarioLike, check_days, scenario_as_run, whole_number
from baytwin.api_sweep import sweep
from baytwin.results import Results, compare
from baytwin.sim.scenario import load_scenario

Progress = Callable[[float, float], None]  # (days done, days in all)

__all__ = ["Results", "compare", "load_scenario", "read_plates", "simulate", "sweep"]


def simulate(scenario: ScenarioLike, *, days: float | None = None, seed: int | None = None,
             overrides: Mapping[str, Any] | None = None, out: str | Path | None = None,
             progress: bool | Progress = False) -> Results:
    """Simulate one scenario, as ``baytwin sim run`` does, and return its results with site-local times.

    ``scenario``: a bundled name (``"workplace-garage/enforced"``), a YAML file, or a Scenario.
    ``days``, ``seed``: default the scenario's. ``overrides``: dotted path -> value, as ``--set``
    (``{"policy.rules.overstay.grace_min": 5}``). ``out``: also write the run's files there, as the
    command does. ``progress``: a progress bar, or a function called as ``progress(days_done, days)``.
    """
    check_days(days)
    if seed is not None:
        seed = whole_number(seed, "seed")
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise ValueError(f"out {out}: is a file, not a folder (give a folder for the results)")
    loaded = scenario_as_run(scenario, overrides)
    result = _run(loaded, seed, days, progress)
    results = Results.of(result, loaded)
    if out is not None:
        results.write(out)
    return results


def _run(scenario: Any, seed: int | None, days: float | None, progress: bool | Progress) -> Any:
    run = twin_runner().run
    if callable(progress):
        return run(scenario, seed=seed, days=days, progress=progress)[1]
    if not progress:
        return run(scenario, seed=seed, days=days)[1]
    from baytwin.common import progress_bar

    with progress_bar("days") as bar:
        task = bar.add_task(scenario.name, total=days if days is not None else scenario.days)
        return run(scenario, seed=seed, days=days, progress=lambda done, _all: bar.update(task, completed=done))[1]
