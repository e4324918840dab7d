"""``baytwin``: one command for every job, grouped by job.

    baytwin demo                       run the demo scenarios end to end
    baytwin sim run SCENARIO --out DIR simulate one scenario
    baytwin sim compare RUN_DIR ...    compare the summaries of finished runs
    baytwin sim list | validate FILE   bundled scenarios; check a scenario file
    baytwin sim calibrate --sessions CSV --out FILE   a scenario fitted to a session export
    baytwin dashboard [--runs DIR]     the dashboards in the browser

Every data-file problem is one line naming the file, the field and the
problem, with exit code 2; no traceback.

Each group lives in its own module under ``baytwin/commands/``; what they share
(the consoles, ``fail``, the progress bar, run summaries) is in ``baytwin/common.py``.
This file only puts them together.
"""

from __future__ import annotations

import sys

import typer

from baytwin.commands import charger, csms, dashboard, demo, health, live, ocr, records, report, sim, sim_calibrate, sweep
from baytwin.common import err_console
from baytwin.core.config import ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
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


def main() -> None:
    try:
        app()
    except ConfigError as err:  # pragma: no cover - commands catch their own
        err_console.print(f"error: {err}")
        sys.exit(2)


if __name__ == "__main__":
    main()
