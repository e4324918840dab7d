"""The review queue: marginal plate reads that wait for a person.

A read between the review floor and the accept threshold is stored with its
crop and acts on nothing. An operator (``baytwin live review``, or the
dashboard's live page) looks at the crop and confirms the read, types the
right plate, or rejects it. The decision is itself an event in the
tamper-evident log (``review_resolved``, naming the reviewer), so a
confirmed identity can always be traced to the person who vouched for it.
A running site picks decisions up from the store (:func:`resolutions_after`)
and identifies the vehicle if it is still in the bay.

The queue is the log itself: pending reads are ``plate_read`` rows with
status ``review`` and no ``review_resolved`` naming them. No second table can
drift from the record.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from sqlalchemy import and_, func, select

from baytwin.core.events import ReviewResolved
from baytwin.core.plates import sanitize
from baytwin.core.store import schema
from baytwin.core.store.log import EventLog, reveal

DECISIONS = ("confirmed", "corrected", "rejected")


class ReviewProblem(ValueError):
    """A decision that cannot be recorded (unknown read, already settled, no plate given ...)."""


@dataclass(frozen=True, slots=True)
class PendingRead:
    seq: int  # the read's position in the site's chain: what a decision names
    site: str
    bay: str
    ts: float
    plate: str | None  # what the reader made of it (None once retention erased it)
    confidence: float
    crop_png: bytes | None  # the plate crop the reader saw (None once retention erased it)


def pending(log: EventLog, site: str, limit: int = 200) -> list[PendingRead]:
    """Reads waiting for a decision, oldest first, with their plates and crops unsealed."""
    return stored_reads(log, site, _waiting(log, site)[:limit])


def pending_count(log: EventLog, site: str) -> int:
    """How many reads wait for a decision (nothing unsealed: for status lines)."""
    return len(_waiting(log, site))


def resolve(log: EventLog, site: str, read_seq: int, decision: str, plate: str | None, reviewer: str,
            now: float) -> ReviewResolved:
    """Record an operator's decision on one pending read; returns the recorded event."""
    if decision not in DECISIONS:
        raise ReviewProblem(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not reviewer.strip():
        raise ReviewProblem("a decision must name its reviewer")
    found = stored_reads(log, site, [read_seq]) if read_seq in _waiting(log, site) else []
    if not found:
        raise ReviewProblem(f"no pending review read #{read_seq} at site {site!r} (unknown, not marginal, or settled)")
    read = found[0]
    if decision == "rejected":
        final = None
    elif decision == "confirmed":
        if read.plate is None:
            raise ReviewProblem(f"read #{read_seq} no longer holds a plate to confirm; give the plate (corrected)")
        final = read.plate
    else:
        final = sanitize(plate or "")
        if not final:
            raise ReviewProblem("a correction needs the plate as read from the crop")
    event = ReviewResolved(now, site, read.bay, read_seq, decision, final, reviewer.strip())
    log.append([event])
    return event


def resolutions_after(log: EventLog, site: str, after_seq: int) -> list[tuple[int, ReviewResolved, float]]:
    """Decisions recorded after chain position ``after_seq``: (their seq, the decision, the read's time)."""
    t = schema.event_log
    with log.engine.connect() as conn:
        rows = conn.execute(
            select(t.c.seq, t.c.public, t.c.personal)
            .where(and_(t.c.site == site, t.c.kind == "review_resolved", t.c.seq > after_seq))
            .order_by(t.c.seq)
        ).mappings().all()
        out = []
        for row in rows:
            data = reveal(log.keys, row["public"], row["personal"])
            read_ts = conn.execute(select(t.c.ts).where(t.c.site == site, t.c.seq == data["read_seq"])).scalar()
            plate = data.get("plate")
            event = ReviewResolved(data["ts"], site, data["bay"], int(data["read_seq"]), data["decision"],
                                   plate if plate != "<personal>" else None, data.get("reviewer", ""))
            out.append((int(row["seq"]), event, float(read_ts or data["ts"])))
    return out


def _waiting(log: EventLog, site: str) -> list[int]:
    """Chain positions of the site's marginal reads that no decision names yet, oldest first.

    Found through the ``plate_reads`` projection (status and chain position, no JSON to parse);
    a read whose retention has ended is gone from it, and from the queue with it. A read whose
    vehicle has left since (or was identified another way, or whose bay nobody can see any more)
    leaves the queue too: deciding it would change nothing, and the operator's time goes to the
    cars still there. It stays in the log, and ``resolve`` still refuses it as not pending."""
    r, t = schema.plate_reads, schema.event_log
    with log.engine.connect() as conn:
        marginal = conn.execute(select(r.c.log_seq, r.c.bay).where(r.c.site == site, r.c.status == "review")
                                .order_by(r.c.log_seq)).all()
        # a visit that ended (or a car identified since) makes its marginal reads moot: the queue lets them go
        moot_after = dict(conn.execute(
            select(t.c.bay, func.max(t.c.seq))
            .where(t.c.site == site, t.c.kind.in_(("vehicle_left", "bay_unobserved", "vehicle_identified")))
            .group_by(t.c.bay)).all())
    settled = _settled(log, site)
    return [int(seq) for seq, bay in marginal if seq not in settled and moot_after.get(bay, -1) < seq]


def stored_reads(log: EventLog, site: str, seqs: list[int]) -> list[PendingRead]:
    """The stored reads at these chain positions, unsealed, in chain order."""
    if not seqs:
        return []
    t = schema.event_log
    with log.engine.connect() as conn:
        rows = conn.execute(
            select(t.c.seq, t.c.ts, t.c.bay, t.c.public, t.c.personal, t.c.evidence)
            .where(and_(t.c.site == site, t.c.kind == "plate_read", t.c.seq.in_(seqs)))
            .order_by(t.c.seq)
        ).mappings().all()
    out = []
    for row in rows:
        event = reveal(log.keys, row["public"], row["personal"])
        crop = base64.b64decode(log.keys.unseal(row["evidence"])["png"]) if row["evidence"] else None
        plate = event.get("plate")
        out.append(PendingRead(int(row["seq"]), site, row["bay"], row["ts"], plate if plate != "<personal>" else None,
                               float(event.get("confidence", 0.0)), crop))
    return out


def _settled(log: EventLog, site: str) -> set[int]:
    t = schema.event_log
    with log.engine.connect() as conn:
        publics = conn.execute(select(t.c.public).where(t.c.site == site, t.c.kind == "review_resolved")).scalars()
        return {int(json.loads(p)["read_seq"]) for p in publics}
