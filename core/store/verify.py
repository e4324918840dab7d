"""Walking the hash chain: is the log exactly what was appended?

Every row must follow the one before (seq + 1, its ``prev_hash`` the
previous ``hash``), its hash must match its content, its personal part (if
not yet erased) must match the digest the chain covers, and the last row must
be the site's recorded chain head. The first row that fails is reported.

The columns the hash does not cover are checked against what it does cover,
so no column of a row can change unnoticed: ``subject`` must be the keyed hash
inside the (digest-covered) personal part, or empty once that is erased;
``data_class`` must be the one its kind implies; the public part must name the
row's own kind, site, bay and time; and a personal part or crop may only be
missing where a later ``retention_purged`` row of the site records its erasure.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, select

from baytwin.core.store import schema
from baytwin.core.store.chain import GENESIS, personal_digest, row_hash, sha256_hex
from baytwin.core.store.log import DATA_CLASS


@dataclass(frozen=True, slots=True)
class Break:
    site: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"site {self.site}, row {self.seq}: {self.problem}"


@dataclass
class Verification:
    rows: int = 0
    sites: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify(bind: Engine | Connection, batch: int = 5000) -> Verification:
    """Check every site's chain; one break (the first) is reported per site."""
    result = Verification()
    log, heads = schema.event_log.c, schema.chain_heads
    with (bind.connect() if isinstance(bind, Engine) else nullcontext(bind)) as conn:
        head_by_site = {row.site: (int(row.seq), row.hash) for row in conn.execute(select(heads))}
        sites = sorted(set(head_by_site) | {r[0] for r in conn.execute(select(log.site).distinct())})
        for site in sites:
            result.sites += 1
            expected_seq, prev = 1, GENESIS
            broken: Break | None = None
            erasures = retention_records(conn, site)
            last_id = None
            query = (select(log.id, log.seq, log.ts, log.kind, log.bay, log.public, log.personal, log.personal_digest,
                            log.evidence, log.evidence_digest, log.subject, log.data_class, log.prev_hash, log.hash)
                     .where(log.site == site).order_by(log.seq).execution_options(yield_per=batch))
            for row in conn.execute(query):
                result.rows += 1
                if broken:
                    continue
                broken = (_check_row(site, row, expected_seq, prev) or _check_columns(site, row)
                          or _check_erasure(site, row, erasures))
                if broken is None and last_id is not None and row.id <= last_id:
                    broken = Break(site, int(row.seq), "stored out of order (the row was deleted and written again)")
                expected_seq, prev, last_id = int(row.seq) + 1, row.hash, row.id
            if broken is None:
                head_seq, head_hash = head_by_site.get(site, (0, GENESIS))
                if (head_seq, head_hash) != (expected_seq - 1, prev):
                    broken = Break(site, expected_seq, f"log ends at row {expected_seq - 1} but the chain head "
                                                       f"records row {head_seq}: rows were deleted or added at the end")
            if broken:
                result.breaks.append(broken)
    return result


def _check_row(site: str, row, expected_seq: int, prev: str) -> Break | None:  # type: ignore[no-untyped-def]
    seq = int(row.seq)
    if seq != expected_seq:
        what = "missing (deleted)" if seq > expected_seq else "repeated"
        return Break(site, expected_seq, f"row {expected_seq} is {what}")
    if row.prev_hash != prev:
        return Break(site, seq, "does not link to the row before (a row was inserted or removed)")
    if row.personal is not None and personal_digest(row.personal) != row.personal_digest:
        return Break(site, seq, "personal data does not match its digest (edited)")
    if row.evidence is not None and personal_digest(row.evidence) != row.evidence_digest:
        return Break(site, seq, "evidence crop does not match its digest (edited)")
    if row_hash(prev, site, seq, row.ts, row.kind, row.bay, sha256_hex(row.public), row.personal_digest,
                row.evidence_digest) != row.hash:
        return Break(site, seq, "content does not match its hash (edited)")
    return None


def retention_records(conn: Connection, site: str) -> list[tuple[int, str, float]]:
    """The site's chained erasure records: (row, data class, erased before)."""
    t = schema.event_log.c
    records = []
    for seq, public in conn.execute(select(t.seq, t.public).where(t.site == site, t.kind == "retention_purged")):
        try:
            data = json.loads(public)
            records.append((int(seq), str(data["data_class"]), float(data["before"])))
        except (ValueError, KeyError, TypeError):
            continue  # an unreadable record covers nothing; the chain walk reports the row itself
    return records


def _check_columns(site: str, row) -> Break | None:  # type: ignore[no-untyped-def]
    """The columns outside the hash must agree with those inside it."""
    seq = int(row.seq)
    if row.data_class != DATA_CLASS.get(row.kind, "other"):
        return Break(site, seq, f"data class {row.data_class!r} is not the one a {row.kind} row has (edited)")
    try:
        public = json.loads(row.public)
        claimed = (public["kind"], public["site"], public["bay"], float(public["ts"]))
        sealed_subject = json.loads(row.personal).get("subject") if row.personal is not None else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return Break(site, seq, "public or personal part is not the JSON the log writes (edited)")
    if claimed != (row.kind, site, row.bay, float(row.ts)):
        return Break(site, seq, "public part names another kind, site, bay or time than the row (edited)")
    if row.subject != sealed_subject:
        return Break(site, seq, "subject is not the keyed hash its personal part holds (edited)")
    return None


def _check_erasure(site: str, row, erasures: list[tuple[int, str, float]]) -> Break | None:  # type: ignore[no-untyped-def]
    """A missing personal part or crop must have been erased by retention, and the log must say so."""
    seq, ts = int(row.seq), float(row.ts)
    if row.personal is None and row.personal_digest:
        if not any(at > seq and cls == row.data_class and before > ts for at, cls, before in erasures):
            return Break(site, seq, f"personal data was removed without a retention record "
                                    f"(no later retention_purged for class {row.data_class!r} covers it)")
    if row.evidence is None and row.evidence_digest:
        if not any(at > seq and cls == "evidence" and (before > ts or row.data_class == "read")
                   for at, cls, before in erasures):
            return Break(site, seq, "evidence crop was removed without a retention record")
    return None
