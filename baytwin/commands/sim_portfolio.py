"""``baytwin sim run PORTFOLIO``: every site of a portfolio, with a bar per site and the estate's table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from baytwin.common import check_days, check_out_folder, console, err_console, failing_on, progress_bar
from baytwin.core.config_error import ConfigError

SHOWN = (  # (figure, column heading): the per-site table on the terminal; portfolio.csv has every figure
    ("ev_bays", "bays"), ("violations_true", "true"), ("violations_detected", "found"),
    ("precision", "prec."), ("recall", "recall"), ("penalties", "pen."),
    ("false_penalties", "false"), ("idle_fee_revenue", "fees"),
    ("mean_occupied_bays", "occ."), ("blocking_probability", "block"), ("energy_kwh", "kWh"),
)


def run_portfolio_command(path: Path, out: Path, seed: int | None, days: float | None,
                          overrides: dict[str, Any], workers: int | None,
                          scheduler: str | None = None, as_json: bool = False) -> dict[str, Any]:
    """Load, run and write a portfolio, showing each site's progress; the portfolio.json document. With
    ``scheduler`` the sites run on that Dask cluster. With ``as_json`` standard output is left for the JSON."""
    from baytwin.sim.portfolio import load_portfolio
    from baytwin.sim.portfolio_run import default_workers, run_portfolio

    say = err_console if as_json else console
    check_days(days)
    check_out_folder(out)
    with failing_on(ConfigError):
        portfolio = load_portfolio(path, overrides)
    length = portfolio.days if days is None else days
    bar = progress_bar("days")
    tasks = {m.label: bar.add_task(m.label, total=length) for m in portfolio.sites}
    update = lambda label, done, _total: bar.update(tasks[label], completed=done)  # noqa: E731
    if scheduler is not None:
        from baytwin.sim.sweep.execute import SchedulerProblem, dask_client

        with failing_on(SchedulerProblem), dask_client(scheduler) as client:
            say.print(f"{portfolio.name}: {len(portfolio.sites)} sites, {length:g} days, on the cluster at {scheduler}")
            return run_portfolio(portfolio, out, seed, days, progress=update, display=bar, client=client)
    processes = workers or default_workers(len(portfolio.sites))
    say.print(f"{portfolio.name}: {len(portfolio.sites)} sites, {length:g} days, "
                  + ("one after another" if processes <= 1 or len(portfolio.sites) <= 1
                     else f"{min(processes, len(portfolio.sites))} processes"))
    from baytwin.interrupts import interrupts_for_this_process_only, quiet_if_interrupted

    with interrupts_for_this_process_only(stop_children=True), quiet_if_interrupted():  # one line, not one per site
        return run_portfolio(portfolio, out, seed, days, processes, progress=update, display=bar)


def portfolio_table(document: dict[str, Any]) -> Table:
    """One row per site and the estate's total row (sums, or the rate of the sums: docs/portfolio.md)."""
    table = Table(header_style="bold", caption="true, found: violations that happened, that were detected; "
                  "pen., false: penalties, false ones; occ.: mean occupied EV bays; block: blocking probability")
    table.add_column("site", no_wrap=True)
    for _, heading in SHOWN:
        table.add_column(heading, justify="right")
    for site in document["sites"]:
        table.add_row(site["label"], *(_fmt(name, site[name]) for name, _ in SHOWN))
    table.add_section()
    table.add_row("[bold]total[/]", *(_fmt(name, document["total"][name]) for name, _ in SHOWN))
    return table


def _fmt(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name in ("precision", "recall", "blocking_probability"):
        return f"{value:.3f}"
    if name == "idle_fee_revenue":
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value:,}"
