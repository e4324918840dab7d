"""``baytwin sim``: simulate one scenario or a portfolio of sites, compare runs, list and check scenarios."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Optional

import typer

from baytwin.group import command_group
from baytwin.common import (
    DB_OPTION,
    KEY_OPTION,
    console,
    fail,
    failing_on,
    open_store,
    parse_overrides,
    print_json,
    run_one,
    summary_table,
    write_comparison,
)
from baytwin.core.config_error import ConfigError

sim_app = command_group(help="Simulate sites, populations and policies.")

# --- sim ---------------------------------------------------------------------------------


@sim_app.command("run")
def sim_run(
    scenario: str = typer.Argument(..., help="Scenario file, or a bundled name such as workplace-garage/baseline; "
                                   "or a portfolio file (docs/portfolio.md), such as portfolios/north-estate."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for summary.json and the Parquet tables."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the scenario's or portfolio's)."),
    days: Optional[float] = typer.Option(None, help="Days to simulate (default: the scenario's or portfolio's)."),
    set_: list[str] = typer.Option([], "--set", help="Override a field: policy.rules.overstay.grace_min=5 "
                                   "(repeatable; in a portfolio, at every site)."),
    store: bool = typer.Option(False, "--store", help="Also keep the run's full event log in the database."),
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = KEY_OPTION,
    ocpp: Optional[str] = typer.Option(None, "--ocpp", help="Chargers speak OCPP over websockets to the central "
                                       "system at this URL, e.g. ws://127.0.0.1:9000"),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="A portfolio's sites in this many "
                                          "processes (default: one per idle core; 1: one after another)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="A portfolio's sites as tasks on the Dask "
                                            "cluster at this address, e.g. tcp://10.0.0.5:8786 (its workers need "
                                            "baytwin installed and --out on a filesystem they share)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary (a portfolio's: portfolio.json) as JSON "
                                 "instead of the table."),
) -> None:
    """Simulate one scenario, or every site of a portfolio, and write the results."""
    from baytwin.sim.portfolio import find_portfolio

    portfolio = find_portfolio(scenario)
    if portfolio is not None:
        _run_portfolio(portfolio, out, seed, days, set_, workers, store, ocpp, scheduler, as_json)
        return
    for given, option in ((workers, "--workers"), (scheduler, "--scheduler")):
        if given is not None:
            raise fail(f"{option}: applies to a portfolio's sites; a scenario is one process")
    if store:
        open_store(db, key_file)  # a missing key or unreachable database fails now, not after the run
    summary = run_one(scenario, out, seed, days, parse_overrides(set_), (db, key_file) if store else None, ocpp)
    if as_json:
        print_json(summary)
        return
    console.print(summary_table({summary["scenario"]: summary}))
    console.print(f"Results in [bold]{out}[/]: summary.json, sessions/violations/actions/events/timeseries.parquet")


def _run_portfolio(path: Path, out: Path, seed: int | None, days: float | None, set_: list[str],
                   workers: int | None, store: bool, ocpp: str | None, scheduler: str | None = None,
                   as_json: bool = False) -> None:
    from baytwin.commands.sim_portfolio import portfolio_table, run_portfolio_command

    for given, option in ((store, "--store"), (ocpp, "--ocpp")):
        if given:
            raise fail(f"{option}: runs one scenario; run a portfolio's sites one by one to use it")
    if scheduler is not None and workers is not None:
        raise fail("--workers: the cluster at --scheduler has its own workers; give one or the other")
    document = run_portfolio_command(path, out, seed, days, parse_overrides(set_), workers, scheduler, as_json)
    if as_json:
        print_json(document)
        return
    console.print(portfolio_table(document))
    console.print(f"Results in [bold]{out}[/]: portfolio.json, portfolio.csv, and a folder per site "
                  f"({', '.join(s['label'] for s in document['sites'])}) with summary.json and the Parquet tables "
                  f"({document['wall_seconds']:.1f} s)")


@sim_app.command("compare")
def sim_compare(
    runs: list[Path] = typer.Argument(..., help="Run folders (each with a summary.json)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="CSV file for the table (default: compare.csv beside the first run)."),
) -> None:
    """Side-by-side table of finished runs' summaries, also written as CSV."""

    summaries: dict[str, dict[str, Any]] = {}
    for run_dir in runs:
        path = run_dir / "summary.json" if run_dir.is_dir() else run_dir
        try:
            summaries[run_dir.name or str(run_dir)] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise fail(f"{path}: no such file (is {run_dir} a finished run?)") from None
        except json.JSONDecodeError as err:
            raise fail(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
    console.print(summary_table(summaries))
    target = out or (runs[0].parent / "compare.csv")
    write_comparison(summaries, target)
    console.print(f"Written to [bold]{target}[/]")


@sim_app.command("list")
def sim_list(
    as_json: bool = typer.Option(False, "--json", help="Print the names and descriptions as JSON."),
) -> None:
    """The bundled scenarios, then the bundled portfolios, each with what it is in one line."""
    from baytwin.core.config import load_yaml
    from baytwin.sim.portfolio import bundled_portfolio_files
    from baytwin.sim.scenario import bundled_scenario_files

    rows = []
    for kind, paths in (("scenario", bundled_scenario_files()), ("portfolio", bundled_portfolio_files())):
        for path in paths:
            with failing_on(ConfigError):
                description = str(load_yaml(path).get("description") or "")
            rows.append({"name": f"{path.parent.name}/{path.stem}", "kind": kind,
                         "description": first_sentence(description)})
    if as_json:
        print_json(rows)
        return
    names = [row["name"] + ("  (portfolio)" if row["kind"] == "portfolio" else "") for row in rows]
    width = max(map(len, names), default=0)
    for name, row in zip(names, rows):
        console.print(f"{name:<{width}}  {row['description']}".rstrip(), highlight=False, markup=False, soft_wrap=True)


def first_sentence(text: str) -> str:
    """A description's first sentence on one line: what a list needs to tell scenarios apart."""
    flat = " ".join(text.split())
    end = re.search(r"[.!?](\s|$)", flat)
    return flat[: end.start() + 1] if end else flat


@sim_app.command("validate")
def sim_validate(scenario: str = typer.Argument(..., help="Scenario or portfolio file, or bundled name.")) -> None:
    """Check a scenario (and its policy), or a portfolio and every site's scenario, without running it."""
    from baytwin.scenario_input import load_scenario
    from baytwin.sim.portfolio import find_portfolio, load_portfolio

    portfolio = find_portfolio(scenario)
    if portfolio is not None:
        with failing_on(ConfigError):
            estate = load_portfolio(portfolio)
        console.print(f"ok: {estate.name} ({len(estate.sites)} sites, {estate.ev_bays} EV bays: "
                      + ", ".join(f"{m.label} {m.scenario.name}" for m in estate.sites) + ")")
        return
    from baytwin.sim.ocr_calibration import scenario_identification

    with failing_on(ConfigError):
        loaded = load_scenario(scenario)
        scenario_identification(loaded)  # its calibration report, if it names one, can calibrate
    console.print(f"ok: {loaded.name} ({loaded.site.ev_bays} EV bays, policy {loaded.policy.name})")
