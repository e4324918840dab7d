"""How a long-running command logs: ``--log-level`` and ``--log-format``, the same on every service.

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


LOG_LEVEL_OPTION = typer.Option(LogLevel.info, "--log-level", case_sensitive=False,
                                help="Least important lines logged: debug, info, warning or error.")
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


def configure_logging(level: LogLevel = LogLevel.info, fmt: LogFormat = LogFormat.text) -> None:
    """Send log lines to standard error at ``level`` in ``fmt``, replacing any handler set before."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if fmt == LogFormat.json else logging.Formatter(TEXT_FORMAT))
    numeric = getattr(logging, level.value.upper())
    logging.basicConfig(level=numeric, handlers=[handler], force=True)
    for name in QUIET_ALWAYS:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    for name in QUIET_UNLESS_DEBUG:
        logging.getLogger(name).setLevel(numeric if level == LogLevel.debug else max(numeric, logging.WARNING))
