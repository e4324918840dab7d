"""Picking a site up where it stopped: the rules engine rebuilt from the log.

The rules engine is deterministic, so its state after a restart is exactly
what it was before the stop: replay the site's stored input events through a
fresh engine. The outputs that replay reproduces were stored the first time
and are dropped; any output the replay produces that the log lacks (a
process killed between a timer firing and its write) is returned, to be
stored now. Nothing is lost and nothing is written twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from baytwin.core.events import INPUT_EVENTS, OUTPUT_EVENTS, Event, event_from_dict
from baytwin.core.rules.engine import RulesEngine
from baytwin.core.store import schema
from baytwin.core.store.log import EventLog, reveal

_INPUT_KINDS = {cls.kind for cls in INPUT_EVENTS}
_OUTPUT_KINDS = {cls.kind for cls in OUTPUT_EVENTS}


@dataclass(frozen=True, slots=True)
class Recovered:
    inputs: int  # stored input events replayed
    missing: list[Event]  # outputs the replay decided that the log lacks (store them)
    head_seq: int  # the site's chain position when the replay was read
    last_ts: float | None


def stored_events(log: EventLog, site: str) -> tuple[list[Event], int]:
    """Every input and output event of ``site`` in chain order, personal fields unsealed; and the head seq."""
    t = schema.event_log
    kinds = _INPUT_KINDS | _OUTPUT_KINDS
    with log.engine.connect() as conn:
        rows = conn.execute(select(t.c.seq, t.c.kind, t.c.public, t.c.personal)
                            .where(t.c.site == site).order_by(t.c.seq)).mappings().all()
    events = [event_from_dict(reveal(log.keys, row["public"], row["personal"])) for row in rows if row["kind"] in kinds]
    return events, (int(rows[-1]["seq"]) if rows else 0)


def recover(engine: RulesEngine, log: EventLog, site: str) -> Recovered:
    """Replay ``site``'s stored inputs through ``engine`` (fresh); return what is missing from the log."""
    events, head = stored_events(log, site)
    stored = {_identity(e) for e in events if e.kind in _OUTPUT_KINDS}
    produced: list[Event] = []
    inputs = 0
    for event in events:
        if event.kind in _INPUT_KINDS:
            produced += engine.handle(event)
            inputs += 1
    last_ts = max((e.ts for e in events), default=None)
    if last_ts is not None:
        produced += engine.advance(last_ts)
    missing = [e for e in produced if _identity(e) not in stored]
    return Recovered(inputs, missing, head, last_ts)


def _identity(event: Event) -> str:
    """What makes an output the same output, whatever personal data retention has erased since."""
    data = {"kind": event.kind, "ts": round(event.ts, 3), "bay": event.bay,
            "violation_id": getattr(event, "violation_id", ""), "rule": getattr(event, "rule", ""),
            "action": getattr(event, "action", "")}
    return json.dumps(data, sort_keys=True)
