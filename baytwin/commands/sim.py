"""``baytwin sim``: simulate one scenario, compare runs, list and check scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from baytwin.common import (
    DB_OPTION,
    KEY_OPTION,
    console,
    fail,
    failing_on,
    open_store,
    parse_overrides,
    run_one,
    summary_table,
    write_comparison,
)
from core.config import ConfigError

sim_app = typer.Typer(no_args_is_help=True, help="Simulate sites, populations and policies.")

# --- sim ---------------------------------------------------------------------------------


@sim_app.command("run")
def sim_run(
    scenario: str = typer.Argument(..., help="Scenario file, or a bundled name such as workplace-garage/baseline."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for summary.json and the Parquet tables."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the scenario's)."),
    days: Optional[float] = typer.Option(None, help="Days to simulate (default: the scenario's)."),
    set_: list[str] = typer.Option([], "--set", help="Override a field: policy.rules.overstay.grace_min=5 (repeatable)."),
    store: bool = typer.Option(False, "--store", help="Also keep the run's full event log in the database."),
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = KEY_OPTION,
    ocpp: Optional[str] = typer.Option(None, "--ocpp", help="Chargers speak OCPP over websockets to the central "
                                       "system at this URL, e.g. ws://127.0.0.1:9000"),
) -> None:
    """Simulate one scenario and write its results."""
    if store:
        open_store(db, key_file)  # a missing key or unreachable database fails now, not after the run
    summary = run_one(scenario, out, seed, days, parse_overrides(set_), (db, key_file) if store else None, ocpp)
    console.print(summary_table({summary["scenario"]: summary}))
    console.print(f"Results in [bold]{out}[/]: summary.json, sessions/violations/actions/events/timeseries.parquet")


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
def sim_list() -> None:
    """The bundled scenarios."""
    from sim.scenario import bundled_scenario_files

    for path in bundled_scenario_files():
        console.print(f"{path.parent.name}/{path.stem}")


@sim_app.command("validate")
def sim_validate(scenario: str = typer.Argument(..., help="Scenario file or bundled name.")) -> None:
    """Check a scenario (and its policy) without running it."""
    from sim.scenario import load_scenario

    with failing_on(ConfigError):
        loaded = load_scenario(scenario)
    console.print(f"ok: {loaded.name} ({loaded.site.ev_bays} EV bays, policy {loaded.policy.name})")
