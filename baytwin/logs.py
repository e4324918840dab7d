"""How commands log: ``baytwin -v/-q/--log-level`` for every command, ``--log-level`` and ``--log-format``
on every service.

A one-off command (``sim run``, ``audit verify``) shows warnings and errors only: a user wants its result,
not its libraries' chatter; ``-v`` adds info lines, ``-vv`` debug lines, ``-q`` leaves errors only.

``live run`` and ``csms serve`` run for months under a supervisor (systemd, a
container runtime) whose log collector wants either readable lines or one JSON
object per line. Both commands take the same two options and set logging up
here, so the lines look alike whichever of them a site runs.

Libraries that log every frame (``ocpp``, ``websockets``) stay at WARNING even
at ``--log-level debug``: their frames carry charging tokens, which are
personal data and stay out of logs. Alembic says which migrations it ran at
INFO on every start; that is noise unless debugging.
"""

from __future__ import annotations

import json
import logging
from enum import Enum

import typer


class LogLevel(str, Enum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


class LogFormat(str, Enum):
    text = "text"
    json = "json"


LOG_LEVEL_OPTION = typer.Option(None, "--log-level", case_sensitive=False, metavar="LEVEL",
                                help="Least important lines logged: debug, info, warning or error "
                                     "(default: baytwin's --log-level or -v/-q, else info).")
LOG_FORMAT_OPTION = typer.Option(LogFormat.text, "--log-format", case_sensitive=False,
                                 help="text (one readable line per entry) or json (one object per line).")

QUIET_ALWAYS = ("ocpp", "websockets")  # every frame, with id tokens in it
QUIET_UNLESS_DEBUG = ("alembic",)  # "Context impl SQLiteImpl", "Will assume transactional DDL" on every start
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonLines(logging.Formatter):
    """One JSON object per log line, for a site's log collector."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": round(record.created, 3), "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class Verbosity:
    """What ``baytwin -v/-q/--log-level`` chose, for every command of this process: the level asked for
    (None: each command's own default) and whether to keep quiet (no progress bars either)."""

    level: LogLevel | None = None
    quiet: bool = False


def choose(verbose: int = 0, quiet: bool = False, level: LogLevel | None = None) -> LogLevel | None:
    """Record the global choice (``--log-level`` wins over ``-v``/``-q``) and set logging up for a one-off
    command: warnings and errors unless asked otherwise. A service sets it up again with its own options."""
    if level is None and verbose:
        level = LogLevel.info if verbose == 1 else LogLevel.debug
    if level is None and quiet:
        level = LogLevel.error
    Verbosity.level, Verbosity.quiet = level, quiet
    if level is not None:  # else Python's own: warnings and errors, as asked; handlers set by others stay
        configure_logging(level, default=LogLevel.warning)
    return level


def effective(level: LogLevel | None, default: LogLevel = LogLevel.info) -> LogLevel:
    """The level a command logs at: its own option, else the global one, else its default."""
    return level or Verbosity.level or default


def configure_logging(level: LogLevel | None = None, fmt: LogFormat = LogFormat.text,
                      default: LogLevel = LogLevel.info) -> None:
    """Send log lines to standard error in ``fmt``, replacing any handler set before, at ``level``: the
    command's own option, else the global one (``baytwin --log-level``, ``-v``, ``-q``), else ``default``."""
    level = effective(level, default)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if fmt == LogFormat.json else logging.Formatter(TEXT_FORMAT))
    numeric = getattr(logging, level.value.upper())
    logging.basicConfig(level=numeric, handlers=[handler], force=True)
    for name in QUIET_ALWAYS:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    for name in QUIET_UNLESS_DEBUG:
        logging.getLogger(name).setLevel(numeric if level == LogLevel.debug else max(numeric, logging.WARNING))
