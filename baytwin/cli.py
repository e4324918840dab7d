"""``baytwin``: one command for every job, grouped by job.

    baytwin demo                       run the demo scenarios end to end
    baytwin sim run SCENARIO --out DIR simulate one scenario
    baytwin sim compare RUN_DIR ...    compare the summaries of finished runs
    baytwin sim list | validate FILE   bundled scenarios; check a scenario file
    baytwin sim calibrate --sessions CSV --out FILE   a scenario fitted to a session export
    baytwin dashboard [--runs DIR]     the dashboards in the browser

Every data-file problem is one line naming the file, the field and the problem,
with exit code 2; no traceback. ``baytwin --version``, ``-v``/``-q``/``--log-level``
and shell completion (``--install-completion``) apply to every command (docs/cli.md).

Each group lives in its own module under ``baytwin/commands/``; what they share
(the consoles, ``fail``, the progress bar, run summaries) is in ``baytwin/common.py``,
and the manners of every group (flags, Ctrl-C, missing extras) in ``baytwin/group.py``.
This file only puts them together. Listing the commands imports none of the
heavy libraries (pandas, SimPy, SQLAlchemy, OpenCV ...): each command imports
what it needs when it runs, so ``baytwin --help`` answers at once.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer

from baytwin.commands import charger, csms, dashboard, demo, health, live, ocr, records, report, sim, sim_calibrate, sweep
from baytwin.common import err_console
from baytwin.core.config_error import ConfigError
from baytwin.group import CommandGroup
from baytwin.logs import LogLevel, choose

app = typer.Typer(cls=CommandGroup, add_completion=True, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Digital twin and testbed for EV-charging-bay parking enforcement.")
app.command("demo")(demo.demo)
sim.sim_app.command("calibrate")(sim_calibrate.sim_calibrate)
app.add_typer(sim.sim_app, name="sim")
app.command("sweep")(sweep.sweep)
app.add_typer(ocr.ocr_app, name="ocr")
app.add_typer(csms.csms_app, name="csms")
app.command("charger")(charger.charger)
app.add_typer(live.live_app, name="live")
app.command("dashboard")(dashboard.dashboard)
app.command("report")(report.report)
app.command("health")(health.health)
app.add_typer(records.audit_app, name="audit")
app.add_typer(records.keys_app, name="keys")
app.add_typer(records.retention_app, name="retention")
app.add_typer(records.privacy_app, name="privacy")
app.add_typer(records.evidence_app, name="evidence")


def version() -> str:
    """The installed package's version (the source's, when run from a checkout that is not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("baytwin")
    except PackageNotFoundError:
        from baytwin import __version__

        return __version__


def _show_version(asked: bool) -> None:
    if asked:
        print(f"baytwin {version()}")
        raise typer.Exit()


@app.callback()
def options(
    show_version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                      help="Print baytwin's version and exit."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True,
                                help="More log lines: -v info, -vv debug (Alembic's migrations too)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Errors only: no warnings, no progress bars."),
    log_level: Optional[LogLevel] = typer.Option(None, "--log-level", case_sensitive=False, metavar="LEVEL",
                                                 help="Least important log lines shown: debug, info, warning or "
                                                      "error (default: warning; a service's: info)."),
) -> None:
    """Digital twin and testbed for EV-charging-bay parking enforcement."""
    choose(verbose, quiet, log_level)


def main() -> None:
    try:
        app(prog_name="baytwin")
    except ConfigError as err:  # pragma: no cover - commands catch their own
        for line in err.lines():
            err_console.print(f"error: {line}", highlight=False, markup=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
