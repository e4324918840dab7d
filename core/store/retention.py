"""Erasing personal data when its retention ends, and recording that it was done.

Erasure removes a row's personal part (sealed plates, tokens) and its index
hash; the row itself, with the digest the chain covers, stays, so the audit
trail still verifies. The projections lose their plate hashes the same way,
reads that led to nothing are deleted outright. Each erasure appends a
``retention_purged`` event to the site's chain in the same transaction.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import and_, delete, exists, select, union, update

from baytwin.core.events import RetentionPurged
from baytwin.core.rules.policy import Retention
from baytwin.core.store import schema
from baytwin.core.store.log import EventLog

DAY = 86400.0


def purge(log: EventLog, now: float, retention_for: Callable[[str], Retention] = lambda site: Retention()) -> dict[str, dict[str, int]]:
    """Erase expired personal data at every site; returns rows erased per site and class."""
    t, reads = schema.event_log, schema.plate_reads
    report: dict[str, dict[str, int]] = {}
    with log.engine.begin() as conn:
        sites = list(conn.execute(select(schema.chain_heads.c.site)).scalars())
        records = {}
        for site in sorted(sites):
            r = retention_for(site)
            cutoff = {
                "read": now - r.unmatched_reads_days * DAY,
                "presence": now - r.presence_days * DAY,
                "session": now - r.sessions_days * DAY,
                "violation": now - r.violations_days * DAY,
            }
            counts: dict[str, int] = {}
            kept_reads = select(reads.c.log_seq).where(reads.c.site == site, reads.c.led_to_violation.is_(True),
                                                       reads.c.ts >= cutoff["violation"])
            # a camera's identification is the read just before it (one row of plate_reads for both): it is
            # kept as long as that read is
            ident = t.alias("ident")
            kept_identifications = select(ident.c.seq).where(
                ident.c.site == site, ident.c.kind == "vehicle_identified",
                exists().where(reads.c.site == ident.c.site, reads.c.bay == ident.c.bay, reads.c.ts == ident.c.ts,
                               reads.c.led_to_violation.is_(True), reads.c.ts >= cutoff["violation"]))
            kept_reads = union(kept_reads, kept_identifications)
            for data_class, before in cutoff.items():
                condition = and_(t.c.site == site, t.c.data_class == data_class, t.c.ts < before,
                                 t.c.personal.is_not(None))
                if data_class == "read":
                    condition = and_(condition, t.c.seq.not_in(kept_reads))
                erased = conn.execute(update(t).where(condition).values(personal=None, subject=None)).rowcount
                if erased:
                    counts[data_class] = erased
            conn.execute(delete(reads).where(reads.c.site == site, reads.c.led_to_violation.is_(False),
                                             reads.c.ts < cutoff["read"]))
            conn.execute(update(reads).where(reads.c.site == site, reads.c.ts < cutoff["violation"]).values(subject=None))
            conn.execute(update(schema.sessions).where(schema.sessions.c.site == site,
                                                       schema.sessions.c.updated_at < cutoff["session"]).values(subject=None))
            conn.execute(update(schema.violations).where(schema.violations.c.site == site,
                                                         schema.violations.c.opened_at < cutoff["violation"]).values(subject=None))
            conn.execute(update(schema.actions).where(schema.actions.c.site == site,
                                                      schema.actions.c.ts < cutoff["violation"]).values(subject=None))
            evidence_before = now - r.evidence_days * DAY
            unmatched_reads = and_(t.c.data_class == "read", t.c.ts < cutoff["read"], t.c.seq.not_in(kept_reads))
            crops = conn.execute(update(t).where(t.c.site == site, t.c.evidence.is_not(None),
                                                 (t.c.ts < evidence_before) | unmatched_reads)
                                 .values(evidence=None)).rowcount
            if crops:
                counts["evidence"] = crops
                cutoff["evidence"] = evidence_before
            if counts:
                records[site] = [RetentionPurged(now, site, "*", data_class, cutoff[data_class], rows)
                                 for data_class, rows in sorted(counts.items())]
                report[site] = counts
        if records:
            log.append_in(conn, records)
    return report
