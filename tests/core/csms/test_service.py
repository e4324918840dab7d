"""The central system's long-running duties: write-through to the store, and the retention purge on a timer."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from baytwin.core.csms.config import CsmsConfig
from baytwin.core.csms.service import open_sessions, persistent_central_system, purge_periodically
from baytwin.core.events import PlateRead
from baytwin.core.privacy import Keys, generate_key
from baytwin.core.store import schema
from baytwin.core.store.database import connect
from baytwin.core.store.log import EventLog

DAY = 86400.0


def _log(tmp_path: Path) -> EventLog:
    return EventLog(connect(f"sqlite:///{tmp_path / 'store.db'}"), Keys.from_text(generate_key(), "test"))


def test_sessions_are_in_the_store_before_the_answer_and_resume_after_a_restart(tmp_path: Path) -> None:
    log = _log(tmp_path)
    config = CsmsConfig(site_id="s", stations={"CP1": {"evses": {1: "B1"}}})
    central = persistent_central_system(config, log)
    tx = central.start_transaction("CP1", 1, "TAG", 0.0, 1000.0)
    central.meter("CP1", 1, tx.transaction_id, 1500.0, 10.0, 1100.0)
    assert [row["session_id"] for row in open_sessions(log, "s")] == ["CP1/1"]
    again = persistent_central_system(config, log)  # a new process on the same store
    assert [t.session_id for t in again.open_transactions()] == ["CP1/1"]
    again.end_transaction("CP1", "1", 4000.0, 2000.0, "EVDisconnected")
    assert open_sessions(log, "s") == []


def test_the_purge_timer_erases_expired_reads_and_stops_cleanly(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.append([PlateRead(100.0, "s", "B1", "AB12CDE", 0.95, "accepted")])  # a read that led to nothing

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(purge_periodically(log, lambda: 100.0 + 365 * DAY, every_s=0.05, stop=stop))
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    t = schema.event_log
    with log.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t).where(t.c.kind == "retention_purged")).scalar_one() == 1
        assert conn.execute(select(t.c.personal).where(t.c.kind == "plate_read")).scalar_one() is None
