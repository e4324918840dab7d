"""``baytwin sweep``: a grid of scenario and policy variants, replicated, on Dask."""

from __future__ import annotations

import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from baytwin.common import (
    check_days,
    console,
    err_console,
    fail,
    failing_on,
    needs_extra,
    parse_overrides,
    print_json,
    progress_bar,
    warn,
)
from baytwin.core.config_error import ConfigError

# --- sweep ----------------------------------------------------------------------------------

SWEEP_HEADLINE = ("violations_true", "violations_detected", "false_penalties", "idle_fee_revenue", "mean_occupied_bays")


def sweep(
    scenario: str = typer.Argument(..., help="Scenario file, or a bundled name such as workplace-garage/enforced; "
                                   "or a portfolio file: every cell runs all its sites (docs/portfolio.md)."),
    grid: list[str] = typer.Option(..., "--grid", help="An axis: name=v1,v2,... The name is a field's dotted "
                                   "path (policy.rules.overstay.grace_min) or a short name (grace_min). Repeatable."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for runs.parquet, cells.parquet/csv and sweep.json."),
    replications: int = typer.Option(10, "--replications", min=1, help="Runs per cell; run r uses seed + r in every cell."),
    seed: Optional[int] = typer.Option(None, help="Base seed (default: the scenario's)."),
    days: Optional[float] = typer.Option(None, help="Days to simulate (default: the scenario's)."),
    set_: list[str] = typer.Option([], "--set", help="Fix a field for every run: path=value (repeatable)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Local worker processes (default: one per core)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Run on an existing Dask cluster, e.g. tcp://host:8786."),
    runs_per_task: Optional[int] = typer.Option(None, "--runs-per-task", min=1, help="Runs one Dask task takes "
                                                "(default: short runs grouped by days x bays, docs/outputs.md)."),
    as_json: bool = typer.Option(False, "--json", help="Print each cell's figures (mean, 95 % interval) and the "
                                 "runs' outcome as JSON instead of the table."),
) -> None:
    """Run a grid of policy and scenario variants, several seeds each, on Dask; resumable."""
    from baytwin.interrupts import ignoring_interrupts, interrupts_for_this_process_only, quiet_if_interrupted
    from baytwin.scenario_input import load_scenario, scenario_axes_with_guesses
    from baytwin.sim.portfolio import find_portfolio
    from baytwin.sim.sweep.execute import SchedulerProblem, dask_client
    from baytwin.sim.sweep.grid import GridProblem
    from baytwin.sim.sweep.plan import plan_sweep
    from baytwin.sim.sweep.portfolio import plan_portfolio_sweep, simulate_portfolio
    from baytwin.sim.sweep.run import run_sweep
    from baytwin.sim.sweep.store import RunStore, SweepFolderProblem
    from baytwin.sim.sweep.task import simulate

    check_days(days)
    needs_extra("baytwin sweep", "sweep")
    if workers is not None and scheduler is not None:
        raise fail("--workers applies to the local cluster; with --scheduler the cluster has its own workers")
    portfolio = find_portfolio(scenario)
    planner, simulation = (plan_sweep, simulate) if portfolio is None else (plan_portfolio_sweep, simulate_portfolio)
    fixed = parse_overrides(set_)
    hooks = {} if portfolio is not None else {"axes_of": scenario_axes_with_guesses,
                                              "load": lambda name, overrides: load_scenario(name, overrides, list(fixed))}
    with failing_on(ConfigError, GridProblem, SweepFolderProblem):
        plan = planner(scenario, grid, replications, seed, days, fixed, **hooks)
        store = RunStore(out)
        store.claim(plan)
    finished = store.finished(plan)
    say = err_console if as_json else console  # with --json, standard output holds the JSON alone
    say.print(f"{len(plan.cells)} cells x {plan.replications} replications = {len(plan.runs)} runs"
              + (f"; {finished} finished before, skipped" if finished else ""))
    try:
        with ExitStack() as stack:
            stack.enter_context(interrupts_for_this_process_only())  # workers leave Ctrl-C to this process
            client = None
            if finished < len(plan.runs):
                with ignoring_interrupts(), warnings.catch_warnings():  # spawned workers start ignoring Ctrl-C
                    warnings.filterwarnings("ignore", r"Port \d+ is already in use", UserWarning)  # its web page's
                    client = stack.enter_context(dask_client(scheduler, workers))
            stack.enter_context(quiet_if_interrupted())  # exits first: the cluster then stops without a word
            bar = stack.enter_context(progress_bar("runs"))
            task = bar.add_task(plan.scenario_name, total=len(plan.runs), completed=finished)
            report = run_sweep(plan, store, client, simulation, on_done=lambda _record: bar.advance(task),
                               per_task=runs_per_task)
    except SchedulerProblem as err:
        raise fail(str(err)) from None
    except KeyboardInterrupt:
        raise fail(f"interrupted; finished runs are kept in {out / 'runs'}: rerun the same command to resume",
                   130) from None
    if as_json:
        print_json({"scenario": plan.scenario_name, "out": str(out), "axes": {a.name: a.path for a in plan.axes},
                    "replications": plan.replications, "runs": len(plan.runs), "done": report.done,
                    "ran": report.outcome.ran, "skipped": report.outcome.skipped,
                    "retried_failures": report.outcome.retried_failures,
                    "failed": [{"cell": r.cell, "seed": r.seed, "error": r.error} for r in report.failed],
                    "cells": report.cells.to_dict("records")})
    else:
        console.print(sweep_table(report.cells, [a.name for a in plan.axes]))
    warn_axes_without_effect(out, plan.axes)
    say.print(f"{report.done} of {len(plan.runs)} runs done ({report.outcome.ran} now, "
              f"{report.outcome.skipped} skipped as finished before"
              + (f", {report.outcome.retried_failures} run again after failing before"
                 if report.outcome.retried_failures else "")
              + f"). Results in [bold]{out}[/]: "
              "runs.parquet, cells.parquet, cells.csv, sweep.json"
              + ("" if portfolio is None else " (portfolio totals; each site's figures as sites.<label>.*)"))
    if report.failed:
        for record in report.failed[:10]:
            err_console.print(f"failed: {record.cell} seed {record.seed}: {record.error}", highlight=False)
        more = len(report.failed) - 10
        raise fail(f"{len(report.failed)} run(s) failed" + (f" ({more} more in sweep.json)" if more > 0 else "")
                   + "; rerun the same command to retry them", 1)


def warn_axes_without_effect(out: Path, axes: Any) -> None:
    """One warning line per axis that changed no figure of any run (sim/sweep/effect.py)."""
    import pandas as pd

    from baytwin.sim.sweep.effect import axes_without_effect, no_effect_message

    runs_file = out / "runs.parquet"
    if not runs_file.is_file():
        return
    runs = pd.read_parquet(runs_file)
    for name in axes_without_effect(runs, [a.name for a in axes]):
        path = next((a.path for a in axes if a.name == name), name)
        warn(no_effect_message(name, path))


def sweep_table(cells: Any, axes: list[str], limit: int = 40) -> Table:
    """Each cell's headline figures: mean ± half its 95 % interval."""
    headline = [m for m in SWEEP_HEADLINE if f"{m}_mean" in cells.columns]
    table = Table(*axes, "n", *headline, header_style="bold")
    for row in cells.head(limit).to_dict("records"):
        table.add_row(*(str(row[a]) for a in axes), str(row["n"]),
                      *(_fmt_interval(row[f"{m}_mean"], row[f"{m}_ci_low"], row[f"{m}_ci_high"]) for m in headline))
    if len(cells) > limit:
        table.caption = f"first {limit} of {len(cells)} cells; all of them in cells.csv"
    return table


def _fmt_interval(mean: float, low: float, high: float) -> str:
    import math

    def num(x: float) -> str:
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}" if abs(x) >= 1 else f"{x:.3f}"

    if mean is None or math.isnan(mean):
        return "-"
    if low is None or math.isnan(low) or high == low:  # one run, or every run agreed
        return num(mean)
    return f"{num(mean)} ±{num((high - low) / 2)}"
