"""Real inputs for the dashboard tests, made by the parts that make them for users.

``build_sweep`` writes a sweep folder in the shape the sweep runner writes (sweep.json,
runs.parquet, cells.parquet) from real ``sim.runner.run`` results: every figure in it was
simulated, none invented.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from baytwin.sim.runner import run, write
from baytwin.sim.scenario import load_scenario

TINY_SITE = """
name: tiny
days: 1
site: {id: tiny, ev_bays: 8, enforcement: {mode: anpr}, identification: {fidelity: error_model, misread_accepted: 0.6}}
policy: {idle_fee: {enabled: true}}
population:
  staff:
    drivers: 30
    arrivals_per_day: {weekday: 40, weekend: 20}
    stay_h: {dist: uniform, min: 1, max: 6}
"""

NOT_METRICS = {"seed", "days", "wall_seconds", "ev_bays", "general_bays"}


def t_quantile(dof: int) -> float:
    """The two-sided 95 % Student's t quantile, as the sweep's own tables use it."""
    from scipy.stats import t

    return float(t.ppf(0.975, dof))


def tiny_scenario(folder: Path) -> Path:
    path = folder / "tiny.yaml"
    path.write_text(TINY_SITE)
    return path


def build_sweep(folder: Path, scenario: str | Path, axes: dict[str, tuple[str, list[Any]]], replications: int,
                days: float = 1.0, overrides: dict[str, Any] | None = None) -> Path:
    """Run every cell of the grid ``replications`` times (seeds 1..n, the same in every cell), every run
    with ``overrides`` besides the cell's, and write the sweep folder."""
    folder.mkdir(parents=True, exist_ok=True)
    names = list(axes)
    rows: list[dict[str, Any]] = []
    for cell, values in enumerate(itertools.product(*(axes[name][1] for name in names))):
        cell_overrides = {**(overrides or {}), **{axes[name][0]: value for name, value in zip(names, values)}}
        for replication in range(replications):
            seed = replication + 1
            _, result = run(load_scenario(str(scenario), cell_overrides), seed=seed, days=days)
            figures = {k: float(v) if v is not None else math.nan for k, v in result.summary.items()
                       if k not in NOT_METRICS and (v is None or isinstance(v, (int, float))) and not isinstance(v, bool)}
            rows.append({"run_id": f"c{cell:03d}-r{replication:02d}", "cell": cell, **dict(zip(names, values)),
                         "replication": replication, "seed": seed, **figures})
    runs = pd.DataFrame(rows)
    metrics = [c for c in runs.columns if c not in {"run_id", "cell", "replication", "seed", *names}]
    cells = []
    for cell, group in runs.groupby("cell", sort=True):
        row: dict[str, Any] = {name: group[name].iloc[0] for name in names}
        row["n"] = len(group)
        for metric in metrics:
            values = group[metric].dropna()
            mean = float(values.mean()) if len(values) else math.nan
            half = t_quantile(len(values) - 1) * float(values.std(ddof=1)) / math.sqrt(len(values)) \
                if len(values) > 1 else 0.0
            row[f"{metric}_mean"], row[f"{metric}_ci_low"], row[f"{metric}_ci_high"] = mean, mean - half, mean + half
        cells.append(row)
    runs.to_parquet(folder / "runs.parquet", index=False)
    pd.DataFrame(cells).to_parquet(folder / "cells.parquet", index=False)
    spec = {"scenario": str(scenario), "axes": {name: {"path": path, "values": values} for name, (path, values) in axes.items()},
            "replications": replications, "metrics": metrics, "days": days}
    (folder / "sweep.json").write_text(json.dumps(spec, indent=2))
    return folder


def build_seeded_runs(folder: Path, scenario: str | Path, variants: dict[str, dict[str, Any]], seeds: list[int],
                      days: float = 1.0) -> dict[str, list[Path]]:
    """Run the scenario under each variant's overrides for every seed and write each run's folder
    (``folder/<variant>/seed-<n>``) as ``baytwin sim run`` does: replications a comparison can pair."""
    out: dict[str, list[Path]] = {}
    for name, overrides in variants.items():
        for seed in seeds:
            loaded = load_scenario(str(scenario), overrides)
            _, result = run(loaded, seed=seed, days=days)
            target = folder / name / f"seed-{seed}"
            write(result, target, loaded)
            out.setdefault(name, []).append(target)
    return out
