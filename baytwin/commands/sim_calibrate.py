"""``baytwin sim calibrate``: a scenario fitted to a site's charging-session export, with its fit report.

The scenario is written first (it is the result); the report then runs the fitted scenario and sets its
figures beside the export's, so a user sees at once where the twin and the site agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from baytwin.common import check_days, console, err_console, fail, failing_on, progress_bar
from baytwin.core.config_error import ConfigError

MAX_REPORT_DAYS = 56.0  # eight weeks: enough sessions for steady figures, a few seconds to run


def sim_calibrate(
    sessions: Path = typer.Option(..., "--sessions", help="Session export (CSV): ACN-Data columns, or "
                                  "arrival,departure,charging_end,energy_kwh,station."),
    out: Path = typer.Option(..., "--out", "-o", help="Scenario file to write (YAML)."),
    base: str = typer.Option("workplace-garage/baseline", "--base",
                             help="Scenario to start from (file or bundled name); only the fitted parts change."),
    timezone: Optional[str] = typer.Option(None, "--timezone", help="The site's time zone (default: the "
                                           "export's timezone column, else UTC)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Fit report, Markdown, with a .json beside "
                                          "it (default: <out>.fit.md)."),
    days: Optional[float] = typer.Option(None, "--days", help="Days the report simulates (default: the "
                                         "export's span, at most 56)."),
    seed: Optional[int] = typer.Option(None, help="Seed of the report's run (default: the base's)."),
) -> None:
    """Fit a scenario to a charge-point session export and report how well it reproduces the data."""
    from baytwin.sim.fit_report import FitReport
    from baytwin.sim.runner import atomic_write, run
    from baytwin.scenario_input import load_scenario
    from baytwin.sim.scenario import display_path
    from baytwin.sim.scenario_writer import scenario_yaml
    from baytwin.sim.session_calibration import calibrate
    from baytwin.sim.session_export import SessionExportProblem, read_export
    from baytwin.sim.session_figures import export_sessions, figures, run_sessions

    check_days(days)
    _check_out_file(out)
    with failing_on(SessionExportProblem):
        export = read_export(sessions, timezone)
    with failing_on(ConfigError):
        base_scenario = load_scenario(base)
    err_console.print(f"{len(export.sessions):,} sessions from {export.path.name} ({export.format}, "
                      f"{export.span_days:g} days, {export.zone}); skipped rows: {export.skipped_text}")
    with progress_bar() as bar, failing_on(ConfigError):
        task = bar.add_task("fitting", total=1)
        fit = calibrate(export, base_scenario, out.stem)
        bar.update(task, completed=1)
    header = (f"Fitted by `baytwin sim calibrate` to {export.path.name} ({export.format}) from {base}.\n"
              f"Fitted: {', '.join(FITTED)}; everything else is the base's.")
    atomic_write(out, lambda p: p.write_text(scenario_yaml(fit.document, header), encoding="utf-8"))
    with failing_on(ConfigError):
        fitted = load_scenario(out)  # the file as written is what sim run will read

    run_days = days if days is not None else min(export.span_days, MAX_REPORT_DAYS)
    run_seed = seed if seed is not None else fitted.seed
    with progress_bar("days") as bar:
        task = bar.add_task(f"simulating {fitted.name}", total=run_days)
        _, result = run(fitted, seed=run_seed, days=run_days,
                        progress=lambda done, _total: bar.update(task, completed=done))
    fit_report = FitReport(
        export={"file": export.path.name, "format": export.format, "timezone": export.zone,
                "sessions": len(export.sessions), "rows": export.rows, "skipped": export.skipped,
                "skipped_text": export.skipped_text, "span_days": export.span_days},
        base=base, scenario=display_path(out), simulated_days=run_days, seed=run_seed,
        data=figures(export_sessions(export), export.zone, export.span_days),
        fitted=figures(run_sessions(result.sessions), export.zone, run_days), notes=fit.notes)
    markdown, data = fit_report.write(report or out.with_name(f"{out.stem}.fit.md"))
    _print_table(fit_report)
    console.print(f"Scenario in [bold]{out}[/]; fit report in [bold]{markdown}[/] and [bold]{data}[/]")


FITTED = ("arrivals per weekday and weekend day", "hourly profiles", "stay", "energy need",
          "vehicle and charger power", "EV bays", "time zone", "start and days")


def _check_out_file(out: Path) -> None:
    """``--out`` names a file to write: not a folder, in a folder that exists."""
    if out.is_dir():
        raise fail(f"--out {out}: is a folder (give the scenario file to write, e.g. {out / 'scenario.yaml'})")
    if not out.parent.is_dir():
        raise fail(f"--out {out}: the folder {out.parent} does not exist")


def _print_table(fit_report) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from baytwin.sim.fit_report import format_value

    table = Table(show_header=True, header_style="bold")
    for column, justify in (("figure", "left"), ("data", "right"), ("fitted", "right"), ("difference", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in fit_report.rows():
        diff = row["relative_difference"]
        table.add_row(row["label"], format_value(row["data"], row["unit"]), format_value(row["fitted"], row["unit"]),
                      "-" if diff is None else f"{diff:+.1%}")
    console.print(table)
