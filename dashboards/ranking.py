"""Ranking a sweep's policies honestly: the best by paired differences, ties said as ties.

Every cell of a sweep runs the same seeds, so cell A and cell B met the same drivers; the question
"is A better than B?" is answered seed by seed (a paired interval), which sees differences the cells'
own wide intervals hide and refuses to see ones that are noise. The best cell is the one with the
best mean; every other cell gets its paired difference from it, and the cells whose interval holds
zero are "no significant difference from the best": a tie, stated as one. A grid whose cells are all
identical has no best at all. The Pareto front answers the planner's other question: which cells
no other cell beats on every objective at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from baytwin.dashboards.figures import figure, format_range, format_value
from baytwin.dashboards.stats import paired_difference, unpaired_difference


@dataclass(frozen=True)
class Ranking:
    """The ranked cells (with ``difference``, its interval and a ``verdict`` per cell) and the
    sentence that says what they mean."""

    table: pd.DataFrame
    message: str
    kind: str  # "best", "tie", "identical", "none"


def _key(row: dict[str, Any], axes: list[str]) -> tuple[str, ...]:
    return tuple(str(row[a]) for a in axes)


def _runs_by_cell(runs: pd.DataFrame, axes: list[str], objective: str) -> dict[tuple[str, ...], pd.Series]:
    """The objective of every run, by cell (the axis values) and seed."""
    out: dict[tuple[str, ...], pd.Series] = {}
    if objective not in runs.columns:
        return out
    for values, group in runs.groupby(axes, sort=False, dropna=False):
        key = tuple(str(v) for v in (values if isinstance(values, tuple) else (values,)))
        seeds = group["seed"] if "seed" in group.columns else pd.Series(range(len(group)), index=group.index)
        out[key] = pd.Series(group[objective].to_numpy(dtype=float), index=seeds.to_numpy()).groupby(level=0).first()
    return out


def setting(row: dict[str, Any], axes: list[str]) -> str:
    return ", ".join(f"{axis} = {row[axis]}" for axis in axes)


def rank_paired(ranked: pd.DataFrame, runs: pd.DataFrame, axes: list[str], objective: str, maximize: bool,
                total_cells: int, currency: str = "GBP") -> Ranking:
    """Add to the cells ``rank_cells`` ordered (best mean first) their paired difference from the
    best cell and a verdict, and say in one sentence what the ranking supports."""
    table = ranked.copy()
    if table.empty:
        return Ranking(table, "No policy in the grid meets the constraint.", "none")
    by_cell = _runs_by_cell(runs, axes, objective)
    if not by_cell:  # a runs table without the objective: the cells' own intervals are all there is
        top = table.to_dict("records")[0]
        return Ranking(table, f"Best by its mean: {setting(top, axes)} — {figure(objective).label} "
                       f"{format_value(objective, top[f'{objective}_mean'], currency)}; the runs behind the cells "
                       "do not carry this figure, so no cell is compared with the best seed by seed.", "best")
    rows = table.to_dict("records")
    best = by_cell.get(_key(rows[0], axes), pd.Series(dtype=float))
    deltas, lows, highs, pairs, verdicts = [], [], [], [], []
    for i, row in enumerate(rows):
        mine = by_cell.get(_key(row, axes), pd.Series(dtype=float))
        shared = best.index.intersection(mine.index)
        if len(shared) >= 2:
            diff = paired_difference(best[shared].to_numpy(), mine[shared].to_numpy())
        else:
            diff = unpaired_difference(best.to_numpy(), mine.to_numpy())
        deltas.append(diff.delta.estimate)
        lows.append(diff.delta.low)
        highs.append(diff.delta.high)
        pairs.append(len(shared))
        if i == 0:
            verdicts.append("best")
        elif not diff.delta.known:
            verdicts.append("unknown: too few runs")
        elif diff.delta.low == diff.delta.high == 0:
            verdicts.append("identical to the best")
        elif diff.significant:
            verdicts.append("worse than the best")
        else:
            verdicts.append("no significant difference from the best")
    table["difference from best"] = deltas
    table["difference 95% CI low"] = lows
    table["difference 95% CI high"] = highs
    table["paired seeds"] = pairs
    table["verdict"] = verdicts
    added = ["verdict", "difference from best", "difference 95% CI low", "difference 95% CI high", "paired seeds"]
    table = table[[*axes, *added, *[c for c in table.columns if c not in axes and c not in added]]]
    return Ranking(table, _message(table, axes, objective, maximize, total_cells, currency), _kind(table))


def _kind(table: pd.DataFrame) -> str:
    verdicts = list(table["verdict"])
    if len(verdicts) > 1 and all(v == "identical to the best" for v in verdicts[1:]):
        return "identical"
    if any(v in ("no significant difference from the best", "identical to the best", "unknown: too few runs")
           for v in verdicts[1:]):
        return "tie"
    return "best"


def _message(table: pd.DataFrame, axes: list[str], objective: str, maximize: bool, total: int, currency: str) -> str:
    name = figure(objective).label
    rows = table.to_dict("records")
    top = rows[0]
    mean = format_value(objective, top[f"{objective}_mean"], currency)
    low, high = top.get(f"{objective}_ci_low"), top.get(f"{objective}_ci_high")
    known = low is not None and not (isinstance(low, float) and math.isnan(low))
    interval = f", 95 % CI {format_range(objective, low, high, currency)}" if known else ""
    paren = f" (95 % CI {format_range(objective, low, high, currency)})" if known else ""
    meeting = f"{len(rows)} of {total} cells meet the constraint." if len(rows) < total else f"All {total} cells considered."
    kind = _kind(table)
    pairs = int(max(table["paired seeds"])) if len(rows) > 1 else 0
    seeds = f"{pairs} paired seeds" if pairs >= 2 else "runs not paired by seed"
    if len(rows) == 1:
        return f"Best: {setting(top, axes)} — {name} {mean}{paren}; the only cell that meets the constraint."
    if kind == "identical":
        return (f"No best policy: every cell gives the same {name} ({mean}) in every run; the grid's axes do not "
                f"change it. {meeting}")
    if kind == "tie":
        tied = [r for r in rows[1:] if r["verdict"] != "worse than the best"]
        return (f"No significant difference: {setting(top, axes)} has the {'highest' if maximize else 'lowest'} "
                f"{name} ({mean}{interval}), but {len(tied)} other cell{'s' if len(tied) > 1 else ''} "
                f"{'are' if len(tied) > 1 else 'is'} within the noise of it over {seeds}; choose among them on "
                f"another objective. {meeting}")
    runner = rows[1]
    gap = abs(runner["difference from best"])
    gap_low, gap_high = sorted((abs(runner["difference 95% CI low"]), abs(runner["difference 95% CI high"])))
    return (f"Best: {setting(top, axes)} — {name} {mean}{paren}; "
            f"{format_value(objective, gap, currency)} {'more' if maximize else 'less'} than the runner-up "
            f"{setting(runner, axes)} (95 % CI {format_range(objective, gap_low, gap_high, currency)}) "
            f"over {seeds}. {meeting}")


def pareto_front(cells: pd.DataFrame, objectives: list[str], maximize: dict[str, bool]) -> pd.Series:
    """True for the cells no other cell beats on every objective at once (at least as good on all,
    better on one), judged on the cells' means."""
    values = pd.DataFrame({m: cells[f"{m}_mean"].astype(float) * (1 if maximize[m] else -1) for m in objectives},
                          index=cells.index)
    front = pd.Series(True, index=cells.index)
    for i, row in values.iterrows():
        if row.isna().any():
            front[i] = False
            continue
        dominated = ((values >= row).all(axis=1) & (values > row).any(axis=1)).any()
        front[i] = not bool(dominated)
    return front
