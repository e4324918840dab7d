"""Which of a sweep's axes changed nothing: every figure of every run the same whatever the axis's value.

A sweep of idle-fee rates over a scenario whose policy has the idle fee switched off, or of grace
periods over a site without rules, runs many times and ranks cells that are in fact one. Runs of the
same seed with the other axes fixed are compared; an axis is without effect when no figure differs
between its values in any such group. ``baytwin sweep`` prints a warning and the sweep explorer
shows one, so nobody reads a winner into identical cells.
"""

from __future__ import annotations

import pandas as pd

IGNORED = frozenset({"wall_seconds", "run_id", "cell", "replication", "seed"})


def axes_without_effect(runs: pd.DataFrame, axes: list[str], metrics: list[str] | None = None) -> list[str]:
    """The axes (with two or more values among the runs) along which no figure of any run changed.

    ``metrics`` defaults to every numeric column of ``runs`` that is neither an axis nor a run's
    bookkeeping (its id, seed, wall-clock time)."""
    if runs.empty:
        return []
    figures = [m for m in (metrics if metrics is not None else runs.columns)
               if m in runs.columns and m not in IGNORED and m not in axes
               and pd.api.types.is_numeric_dtype(runs[m])]
    if not figures:
        return []
    keys = ["seed"] if "seed" in runs.columns else []
    inert = []
    for axis in axes:
        if runs[axis].nunique(dropna=False) < 2:
            continue
        by = [a for a in axes if a != axis] + keys
        groups = runs.groupby(by, dropna=False, sort=False) if by else [(None, runs)]
        compared = False
        changed = False
        for _, group in groups:
            if group[axis].nunique(dropna=False) < 2:
                continue
            compared = True
            if (group[figures].round(9).nunique(dropna=False) > 1).any():
                changed = True
                break
        if compared and not changed:
            inert.append(axis)
    return inert


def no_effect_message(axis: str, path: str) -> str:
    """The warning's one line, the same in the command line and the dashboard."""
    named = axis if axis == path else f"{axis} ({path})"
    return (f"axis {named} changed no figure of any run: every value gave the same results "
            "(is the rule or fee it sets switched off?)")
