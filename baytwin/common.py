"""What every command shares: the consoles, the one error exit, options, the progress bar, run summaries."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

from baytwin.core.config_error import ConfigError, printable
from baytwin.logs import Verbosity

if TYPE_CHECKING:
    from rich.progress import Progress
    from rich.table import Table

DB_OPTION = typer.Option(None, "--db", help="Database URL (default: BAYTWIN_DB_URL, else sqlite:///baytwin.db).")
KEY_OPTION = typer.Option(None, "--key-file", help="Key file (default: BAYTWIN_KEY or BAYTWIN_KEY_FILE).")

#: Output piped to a file or another program is never cut to a width: a table keeps every column whole and a
#: line is not wrapped (``COLUMNS`` still sets a width where one is wanted). A terminal's width is its own.
PIPED_WIDTH = 10_000


def _width(stream: Any) -> int | None:
    return None if stream.isatty() or os.environ.get("COLUMNS") else PIPED_WIDTH


console = Console(width=_width(sys.stdout))
err_console = Console(stderr=True, width=_width(sys.stderr))

DEMO_SCENARIOS = ("workplace-garage/baseline", "workplace-garage/enforced")
SUMMARY_ROWS = (
    "arrivals", "blocked", "blocking_probability", "served", "mean_occupied_bays", "mean_dwell_min",
    "charging_share_of_bay_time", "energy_kwh", "turnover_per_bay_day", "violations_true",
    "violations_detected", "precision", "recall", "false_penalties", "idle_fee_revenue",
    "time_to_detection_min_mean", "events_processed", "wall_seconds", "seed",
)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print the one error line and return the exit to raise. The message often quotes what a user or a file
    gave (a path, an id), so it is shown as text: control characters escaped, ``[...]`` never read as markup."""
    err_console.print(f"[bold red]error:[/] {escape(printable(message))}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def fail_all(err: ConfigError, code: int = 2) -> typer.Exit:
    """Every problem of a data file, one ``error:`` line each, and the exit to raise: fixed in one go."""
    for line in err.lines():
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def note(message: str) -> None:
    """A line on standard error about how a command went (what it stored, what it skipped), unless ``-q``."""
    if not Verbosity.quiet:
        err_console.print(escape(printable(message)), highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    """A ``warning:`` line on standard error, unless ``-q`` asked for errors only."""
    if not Verbosity.quiet:
        err_console.print(f"warning: {escape(printable(message))}", highlight=False, soft_wrap=True)


def print_json(document: Any) -> None:
    """A command's result as JSON on standard output (``--json``): nothing else goes there."""
    import json

    print(json.dumps(jsonable(document), indent=2, default=str))


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars as Python numbers and NaN or infinity as null (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def needs_extra(command: str, extra: str) -> None:
    """Exit 2 with one line naming the extra to install when a module of ``extra`` is missing; found out before
    the command does anything (a command that meets a missing module midway says the same: baytwin/group.py)."""
    from baytwin.extras import message, missing_modules

    if missing_modules(extra):
        raise fail(message(command, extra))


def check_days(days: float | None) -> None:
    """``--days`` must be a finite number above 0: zero days or fewer is no run at all."""
    if days is not None and not (math.isfinite(days) and days > 0):
        raise fail(f"--days: must be a number of days above 0 (got {days:g})")


def check_out_folder(out: Path) -> None:
    """``--out`` must be a folder that exists or can be made, checked before a run rather than when its results
    are written: a file of that name, or a file where a parent folder should be, is one line now."""
    nearest = next((p for p in (out, *out.parents) if p.exists() or p.is_symlink()), Path("."))
    if nearest == out and not out.is_dir():
        raise fail(f"--out {out}: is a file, not a folder (give a folder for the results)")
    if not nearest.is_dir():
        raise fail(f"--out {out}: {nearest} is a file, so no folder can be made in it")
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise fail(f"--out {out}: no permission to write in {nearest}")


@contextmanager
def failing_on(*errors: type[Exception]) -> Iterator[None]:
    """Turn the named errors into the one error exit: their message on stderr, exit code 2.

    These are the errors whose message is already written for the user (a config file's field and
    problem, a store that cannot be opened), so a traceback would only hide it.
    """
    try:
        yield
    except errors as err:
        if isinstance(err, ConfigError):
            raise fail_all(err) from None
        raise fail(str(err)) from None


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``path.to.field=value`` pairs; values are read as YAML (numbers, booleans, lists)."""
    import yaml

    overrides: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise fail(f"--set {item!r}: expected dotted.path=value")
        key, raw = item.split("=", 1)
        try:
            overrides[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise fail(f"--set {item!r}: value is not valid YAML") from None
    return overrides


def open_store(db: str | None, key_file: Path | None, policy=None):  # type: ignore[no-untyped-def]
    """The event log at ``db`` with the configured key; a clear error when either is unusable."""
    from baytwin.core.privacy import KeyProblem, Keys
    from baytwin.core.store.database import StoreProblem, connect
    from baytwin.core.store.log import EventLog

    try:
        keys = Keys.from_environment(key_file)
        return EventLog(connect(db), keys, policy)
    except (KeyProblem, StoreProblem) as err:
        raise fail(str(err)) from None


def run_one(scenario_name: str, out: Path, seed: int | None, days: float | None,
            overrides: dict[str, Any], store=None, ocpp_url: str | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from baytwin.scenario_input import load_scenario
    from baytwin.sim.ocpp_link import CentralSystemUrlError, check_central_system_url
    from baytwin.sim.runner import persist, run, write

    check_days(days)
    check_out_folder(out)
    with failing_on(ConfigError, CentralSystemUrlError):
        if ocpp_url is not None:
            check_central_system_url(ocpp_url)
        scenario = load_scenario(scenario_name, overrides)
    total = days if days is not None else scenario.days
    with progress_bar("days") as bar:
        task = bar.add_task(scenario.name, total=total)
        with failing_on(ConnectionError, TimeoutError, RuntimeError):
            model, result = run(scenario, seed=seed, days=days,
                                progress=lambda done, _total: bar.update(task, completed=done), ocpp_url=ocpp_url)
    write(result, out, scenario)
    if store is not None:
        appended, total = persist(model, open_store(*store, policy=model.policy))
        if appended == total:
            note(f"{appended:,} events appended to the event log")
        elif appended:
            note(f"this run was partly stored before: {appended:,} missing events appended ({total:,} in all)")
        else:
            note(f"this run (same scenario, seed and days) is already in the event log: nothing appended "
                 f"({total:,} events)")
    return result.summary


def progress_bar(unit: str = "") -> Progress:
    """The one progress bar every long job shows (on standard error, gone when done). None with ``-q``, nor when
    standard error is not a terminal: a log file gains nothing from a bar's last frame."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    return Progress(*columns, TimeElapsedColumn(), console=err_console, transient=True,
                    disable=Verbosity.quiet or not err_console.is_terminal)


def write_comparison(summaries: dict[str, dict[str, Any]], target: Path) -> None:
    """The side-by-side summary table as CSV: one row per figure, one column per run."""
    import pandas as pd

    frame = pd.DataFrame({name: {k: s.get(k) for k in SUMMARY_ROWS} for name, s in summaries.items()})
    frame.index.name = "metric"
    frame.to_csv(target)


def summary_table(summaries: dict[str, dict[str, Any]]) -> Table:
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    table.add_column("metric", no_wrap=True)
    for name in summaries:
        table.add_column(name, justify="right")
    for key in SUMMARY_ROWS:
        table.add_row(key, *(_fmt(s.get(key)) for s in summaries.values()))
    return table


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
