"""The central system wired to the store: every session event is in the log before the charger gets its answer,
and open transactions come back from the log after a restart."""

from __future__ import annotations

import logging

from sqlalchemy import select

from core.csms.central import Authorizer, CentralSystem
from core.csms.config import CsmsConfig
from core.events import Event
from core.store import schema
from core.store.log import EventLog

LOG = logging.getLogger("baytwin.csms")


def open_sessions(log: EventLog, site: str) -> list[dict[str, object]]:
    """The store's sessions at ``site`` that have not ended."""
    s = schema.sessions
    with log.engine.connect() as conn:
        rows = conn.execute(select(s).where(s.c.site == site, s.c.ended_at.is_(None))).mappings().all()
    return [dict(row) for row in rows]


def persistent_central_system(config: CsmsConfig, log: EventLog | None,
                              authorizer: Authorizer | None = None) -> CentralSystem:
    """A central system that appends what it learns to ``log`` (write-through) and resumes from it."""
    def write(events: list[Event]) -> None:
        if log is not None and events:
            log.append(events)
        for event in events:
            LOG.info("%s %s %s", event.kind, event.bay, getattr(event, "session_id", ""))

    central = CentralSystem(config, write, authorizer)
    if log is not None:
        restored = central.restore(open_sessions(log, config.site_id))
        if restored:
            LOG.info("resumed %d open transaction(s) from the store", restored)
    return central
