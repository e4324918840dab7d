"""A sweep planned in full before anything runs: every cell's scenario validated, every run named.

A sweep over a portfolio plans the same way with the portfolio's loader and axes (sim/sweep/portfolio.py):
each run then carries the whole portfolio, every site's scenario loaded with the cell's values.

Replication ``r`` runs with seed ``base_seed + r`` in every cell (common random numbers): two cells
meet the same drivers at the same times, so their difference is the policy's, not noise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from baytwin.core.config import ConfigError
from baytwin.sim.scenario import Scenario, load_scenario
from baytwin.sim.sweep.grid import Axis, Cell, GridProblem, expand, render_value, resolve_axes, run_id

if TYPE_CHECKING:
    from baytwin.sim.portfolio import Portfolio

Loader = Callable[[str, dict[str, Any]], Any]  # (name or path, overrides) -> a Scenario or a Portfolio
AxesOf = Callable[[list[str], Any], tuple[Axis, ...]]  # (--grid items, what the loader loaded) -> the axes


@dataclass(frozen=True)
class RunTask:
    """One simulation of the sweep; everything a worker needs, nothing it must read from disk."""

    run_id: str
    cell: Cell
    replication: int
    seed: int
    days: float | None
    scenario: Scenario | Portfolio


@dataclass(frozen=True)
class SweepPlan:
    scenario: str
    scenario_name: str
    axes: tuple[Axis, ...]
    replications: int
    base_seed: int
    days: float  # --days, else the scenario's
    fixed: dict[str, Any]
    runs: list[RunTask] = field(repr=False)

    @property
    def cells(self) -> list[Cell]:
        return list(dict.fromkeys(run.cell for run in self.runs))

    def identity(self) -> dict[str, Any]:
        """What makes two sweeps the same sweep (a results folder holds one): not the replications,
        which may grow or shrink between invocations without invalidating finished runs."""
        base = self.runs[0].scenario if self.runs else None
        return {
            "scenario": self.scenario,
            "axes": {a.name: {"path": a.path, "values": list(a.values)} for a in self.axes},
            "base_seed": self.base_seed,
            "days": self.days,
            "fixed_overrides": self.fixed,
            "base_scenario_digest": _digest(base, self.axes) if base is not None else None,
        }


def _digest(scenario: Scenario, axes: tuple[Axis, ...]) -> str:
    """A digest of the scenario as run, the swept fields left out: catches an edited scenario file."""
    tree = scenario.model_dump(mode="json")
    for axis in axes:
        node: Any = tree
        parts = axis.path.split(".")
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(parts[-1], None)
    return hashlib.sha256(json.dumps(tree, sort_keys=True, default=str).encode()).hexdigest()[:16]


def scenario_axes(grid: list[str], base: Scenario) -> tuple[Axis, ...]:
    return resolve_axes(grid, base.model_dump(mode="json"))


def plan_sweep(scenario: str, grid: list[str], replications: int, base_seed: int | None = None,
               days: float | None = None, fixed: dict[str, Any] | None = None,
               load: Loader = load_scenario, axes_of: AxesOf = scenario_axes) -> SweepPlan:
    """Resolve the axes against the loaded scenario, validate each value and each cell, name the runs.

    Raises ``GridProblem`` for an axis that cannot be resolved and ``ConfigError`` (naming the axis
    and value) for a value the scenario does not accept, before anything has run.
    """
    fixed = dict(fixed or {})
    base = load(scenario, fixed)
    axes = axes_of(grid, base)
    for axis in axes:
        if axis.path in fixed:
            raise GridProblem(f"--grid {axis.name}: {axis.path} is also fixed by --set; choose one")
    for axis in axes:  # one value at a time first: the error names exactly the axis and value at fault
        for value in axis.values:
            _load(load, scenario, {**fixed, axis.path: value}, f"--grid {axis.name}={render_value(value)}")
    seed0 = base.seed if base_seed is None else base_seed
    runs = []
    for cell in expand(axes):
        loaded = _load(load, scenario, {**fixed, **cell.overrides(axes)}, f"cell {cell.id}")
        for replication in range(replications):
            seed = seed0 + replication
            runs.append(RunTask(run_id(cell, seed), cell, replication, seed, days, loaded))
    shown_days = days if days is not None else base.days  # a `days` axis, if any, varies per cell
    return SweepPlan(scenario, base.name, axes, replications, seed0, shown_days, fixed, runs)


def _load(load: Loader, scenario: str, overrides: dict[str, Any], where: str) -> Any:
    try:
        return load(scenario, overrides)
    except ConfigError as err:
        raise ConfigError(err.source, err.field, f"{err.problem} ({where})") from None
