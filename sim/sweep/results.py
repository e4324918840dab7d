"""A sweep's tables: every run's figures, and every cell's means with 95 % confidence intervals.

``runs.parquet`` has one row per finished run; ``cells.parquet`` / ``cells.csv`` one row per cell,
with ``<metric>_mean``, ``<metric>_ci_low`` and ``<metric>_ci_high``: Student's t interval across the
cell's replications, over the runs where the figure is defined (``precision`` is undefined in a run
that detected nothing). With one value the bounds are NaN: one run says nothing about its spread.
Counts a run's summary leaves out (a rule nobody broke in ``violations_by_rule``) are zero.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from baytwin.sim.runner import atomic_write
from baytwin.sim.sweep.grid import Axis, render_value
from baytwin.sim.sweep.plan import SweepPlan
from baytwin.sim.sweep.store import RunRecord

RUN_COLUMNS = ("run_id", "cell", "replication", "seed")
COUNTS_LEFT_OUT_WHEN_ZERO = ("violations_by_rule.", "actions_by_kind.")
CONFIDENCE = 0.95
DESCRIPTIVE = ("days", "ev_bays", "general_bays", "wall_seconds")  # what was run and how long it took: listed last


def axis_column(axis: Axis, values: list[Any]) -> pd.Series:
    """An axis as a column: numbers stay numbers, anything else is the value as typed."""
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in axis.values)
    boolean = all(isinstance(v, bool) for v in axis.values)
    if numeric or boolean:
        return pd.Series(values, name=axis.name)
    return pd.Series([render_value(v) for v in values], name=axis.name, dtype="string")


def metric_names(records: list[RunRecord], axes: tuple[Axis, ...]) -> list[str]:
    """Every figure seen in any run: the outcomes in summary order, the nested counts (sorted), then
    the figures that describe the run rather than its outcome."""
    seen = dict.fromkeys(name for r in records for name in (r.metrics or {}))
    axis_names = {a.name for a in axes}  # an axis that is also a summary figure (ev_bays, days): the axis wins
    plain = [n for n in seen if "." not in n and n not in axis_names and n not in DESCRIPTIVE]
    nested = sorted(n for n in seen if "." in n and n not in axis_names)
    return plain + nested + [n for n in DESCRIPTIVE if n in seen and n not in axis_names]


def runs_table(plan: SweepPlan, records: list[RunRecord]) -> pd.DataFrame:
    ok = [r for r in records if r.ok]
    metrics = metric_names(ok, plan.axes)
    frame = pd.DataFrame({
        "run_id": pd.Series([r.run_id for r in ok], dtype="string"),
        "cell": pd.Series([r.cell for r in ok], dtype="string"),
    })
    for axis in plan.axes:
        frame[axis.name] = axis_column(axis, [r.axes[axis.name] for r in ok])
    frame["replication"] = pd.Series([r.replication for r in ok], dtype="int64")
    frame["seed"] = pd.Series([r.seed for r in ok], dtype="int64")
    values = pd.DataFrame([{m: (r.metrics or {}).get(m) for m in metrics} for r in ok], columns=metrics,
                          dtype="float64")
    for name in metrics:
        if name.startswith(COUNTS_LEFT_OUT_WHEN_ZERO):
            values[name] = values[name].fillna(0.0)
    return pd.concat([frame, values], axis=1)


def t_interval(values: pd.Series) -> tuple[float, float, float]:
    """(mean, low, high) of the 95 % Student's t interval; NaN bounds with fewer than two values."""
    from scipy.stats import t

    clean = values.dropna().to_numpy(dtype=float)
    n = len(clean)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(clean.mean())
    if n == 1:
        return mean, math.nan, math.nan
    half = float(t.ppf(0.5 + CONFIDENCE / 2, n - 1) * clean.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def cells_table(plan: SweepPlan, runs: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    rows = []
    for cell in plan.cells:
        part = runs[runs["cell"] == cell.id]
        row: dict[str, Any] = {"cell": cell.id, **dict(cell.values), "n": len(part)}
        for name in metrics:
            mean, low, high = t_interval(part[name]) if len(part) else (np.nan,) * 3
            row[f"{name}_mean"], row[f"{name}_ci_low"], row[f"{name}_ci_high"] = mean, low, high
        rows.append(row)
    frame = pd.DataFrame(rows)
    for axis in plan.axes:
        frame[axis.name] = axis_column(axis, [dict(c.values)[axis.name] for c in plan.cells])
    frame["cell"] = frame["cell"].astype("string")
    frame["n"] = frame["n"].astype("int64")
    return frame


def write_tables(plan: SweepPlan, records: list[RunRecord], folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """Write runs.parquet, cells.parquet and cells.csv; the cells table and the metric names."""
    runs = runs_table(plan, records)
    metrics = [c for c in runs.columns if c not in RUN_COLUMNS and c not in {a.name for a in plan.axes}]
    cells = cells_table(plan, runs, metrics)
    atomic_write(folder / "runs.parquet", lambda p: runs.to_parquet(p, index=False))
    atomic_write(folder / "cells.parquet", lambda p: cells.to_parquet(p, index=False))
    atomic_write(folder / "cells.csv", lambda p: cells.to_csv(p, index=False))
    return cells, metrics
