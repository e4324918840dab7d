"""Data-subject access: everything held on one plate, in the clear, for the person it belongs to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from baytwin.core.store import schema
from baytwin.core.store.log import EventLog, reveal


def subject_access(log: EventLog, plate: str) -> dict[str, Any]:
    """Every stored event and record about ``plate`` at every site, personal fields unsealed."""
    t = schema.event_log
    out: dict[str, Any] = {"plate": plate, "sites": {}}
    with log.engine.connect() as conn:
        sites = list(conn.execute(select(schema.chain_heads.c.site).order_by(schema.chain_heads.c.site)).scalars())
        for site in sites:
            subject = log.keys.subject(site, plate)
            rows = conn.execute(select(t.c.seq, t.c.ts, t.c.kind, t.c.bay, t.c.public, t.c.personal)
                                .where(t.c.site == site, t.c.subject == subject).order_by(t.c.seq)).all()
            events = []
            for row in rows:
                events.append({"seq": row.seq, **reveal(log.keys, row.public, row.personal)})
            records = {}
            for name, table in (("sessions", schema.sessions), ("plate_reads", schema.plate_reads),
                                ("violations", schema.violations), ("actions", schema.actions)):
                found = conn.execute(select(table).where(table.c.site == site, table.c.subject == subject)).mappings().all()
                records[name] = [{k: v for k, v in row.items() if k != "subject"} for row in found]
            if events or any(records.values()):
                out["sites"][site] = {"events": events, **records}
    return out
