"""The central system wired to the store: every session event is in the log before the charger gets its answer,
open transactions come back from the log after a restart, and expired personal data is purged on a timer.

Writes go through one ``StoreWriter`` thread (group commit): on the event loop a handler's events
become a future the station awaits before it answers, so no charger waits on another's disk sync."""

from __future__ import annotations

import asyncio
import json
import logging

from sqlalchemy import select

from baytwin.core.csms.central import Authorizer, CentralSystem
from baytwin.core.csms.config import CsmsConfig
from baytwin.core.events import Event
from baytwin.core.store import schema
from baytwin.core.store.log import EventLog
from baytwin.core.store.writer import StoreWriter

LOG = logging.getLogger("baytwin.csms")


def open_sessions(log: EventLog, site: str) -> list[dict[str, object]]:
    """The store's sessions at ``site`` that have not ended."""
    s = schema.sessions
    with log.engine.connect() as conn:
        rows = conn.execute(select(s).where(s.c.site == site, s.c.ended_at.is_(None))).mappings().all()
    return [dict(row) for row in rows]


def issued_session_ids(log: EventLog, site: str) -> list[str]:
    """Every session id the log has ever started at ``site`` (read from the chained log, not a projection)."""
    table = schema.event_log
    with log.engine.connect() as conn:
        rows = conn.execute(select(table.c.public).where(table.c.site == site, table.c.kind == "session_started"))
        found = []
        for (public,) in rows:
            try:
                found.append(str(json.loads(public).get("session_id", "")))
            except (ValueError, AttributeError):
                continue
    return found


def persistent_central_system(config: CsmsConfig, log: EventLog | None,
                              authorizer: Authorizer | None = None,
                              writer: StoreWriter | None = None) -> CentralSystem:
    """A central system that appends what it learns to ``log`` (write-through) and resumes from it.

    On an event loop each write is a future the answering station awaits; outside one (tools,
    tests) the write completes before the call returns.
    """
    if log is not None and writer is None:
        writer = StoreWriter(log)

    def write(events: list[Event]) -> object:
        for event in events:
            LOG.info("%s %s %s", event.kind, event.bay, getattr(event, "session_id", ""))
        if writer is None or not events:
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return writer.submit(events).result()
        return writer.submit_async(events)

    central = CentralSystem(config, write, authorizer)
    if log is not None:
        restored = central.restore(open_sessions(log, config.site_id), issued_session_ids(log, config.site_id))
        if restored:
            LOG.info("resumed %d open transaction(s) from the store", restored)
    return central


async def purge_periodically(log: EventLog, clock_now, every_s: float = 6 * 3600.0,  # type: ignore[no-untyped-def]
                             stop: asyncio.Event | None = None, retention_for=None) -> None:
    """Run the retention purge now and then every ``every_s`` seconds until ``stop`` is set
    (``retention_for(site)``: the retention that applies at a site; default: the policy defaults).

    A long-running mode keeps no personal data past its retention even if nobody runs
    ``baytwin retention purge``; each purge is recorded in the audit chain by ``purge`` itself.
    """
    from baytwin.core.rules.policy import Retention
    from baytwin.core.store.retention import purge

    stop = stop or asyncio.Event()
    retention_for = retention_for or (lambda _site: Retention())
    while not stop.is_set():
        try:
            report = await asyncio.to_thread(purge, log, clock_now(), retention_for)
            erased = sum(n for per_site in report.values() for n in per_site.values())
            if erased:
                LOG.info("retention purge erased %d row(s) of personal data", erased)
        except Exception as err:  # a failed purge must not stop the central system; it is retried
            LOG.warning("retention purge failed, will retry: %s", err)
        try:
            await asyncio.wait_for(stop.wait(), every_s)
        except TimeoutError:
            pass
