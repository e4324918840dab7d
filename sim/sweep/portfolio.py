"""Sweeps over a portfolio: each cell runs every site of the portfolio, and the figures are the estate's.

An axis sets its field at every site, like a portfolio-wide override, so a short name must mean the same
field at every site (``grace_min`` is ``policy.rules.overstay.grace_min`` everywhere). Replication ``r``
runs the portfolio with run seed ``base + r``; each site's seed comes from that and its label, as in
``sim run``. A run's figures are the portfolio totals under the summary's names (so the cells table reads
like a single site's) and each site's headline figures as ``sites.<label>.<figure>``.
"""

from __future__ import annotations

from typing import Any

from baytwin.sim.portfolio import Portfolio, load_portfolio
from baytwin.sim.portfolio_run import plan_sites, run_sites
from baytwin.sim.portfolio_totals import headline, totals
from baytwin.sim.sweep.grid import Axis, GridProblem, resolve_axes
from baytwin.sim.sweep.plan import RunTask, SweepPlan, plan_sweep, scenario_axes
from baytwin.sim.sweep.task import Metrics


def portfolio_axes(grid: list[str], portfolio: Portfolio) -> tuple[Axis, ...]:
    """The axes resolved at every site; an axis that names different fields at two sites is refused."""
    first = portfolio.sites[0]
    axes = scenario_axes(grid, first.scenario)
    for member in portfolio.sites[1:]:
        for axis, other in zip(axes, resolve_axes(grid, member.scenario.model_dump(mode="json")), strict=True):
            if axis.path != other.path:
                raise GridProblem(f"--grid {axis.name}: means {axis.path} at {first.label} but {other.path} at "
                                  f"{member.label}; use the full path")
    for axis in axes:
        if axis.path == "days":
            raise GridProblem(f"--grid {axis.name}: every site of a portfolio runs the same days; use --days")
    return axes


def plan_portfolio_sweep(portfolio: str, grid: list[str], replications: int, base_seed: int | None = None,
                         days: float | None = None, fixed: dict[str, Any] | None = None) -> SweepPlan:
    """``plan_sweep`` for a portfolio: every cell's portfolio loaded and validated before anything runs."""
    return plan_sweep(portfolio, grid, replications, base_seed, days, fixed, load=load_portfolio,
                      axes_of=portfolio_axes)


def simulate_portfolio(run: RunTask) -> Metrics:
    """What a worker does for one run of a portfolio sweep: every site in turn (the cluster's processes
    are busy with the other runs), then the totals and each site's figures."""
    portfolio = run.scenario
    assert isinstance(portfolio, Portfolio)
    sites = plan_sites(portfolio, run.seed, run.days)
    summaries = run_sites(sites)
    metrics: Metrics = dict(totals(summaries))
    metrics["days"] = sites[0].days
    metrics["wall_seconds"] = round(sum(s["wall_seconds"] for s in summaries.values()), 3)
    for label, summary in summaries.items():
        metrics.update({f"sites.{label}.{name}": value for name, value in headline(summary).items()})
    return metrics
