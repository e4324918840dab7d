"""Walking the hash chain: is the log exactly what was appended?

Every row must follow the one before (seq + 1, its ``prev_hash`` the
previous ``hash``), its hash must match its content, its personal part (if
not yet erased) must match the digest the chain covers, and the last row must
be the site's recorded chain head. The first row that fails is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contextlib import nullcontext

from sqlalchemy import Connection, Engine, select

from core.store import schema
from core.store.chain import GENESIS, personal_digest, row_hash, sha256_hex


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
            query = (select(log.seq, log.ts, log.kind, log.bay, log.public, log.personal, log.personal_digest,
                            log.evidence, log.evidence_digest, log.prev_hash, log.hash)
                     .where(log.site == site).order_by(log.seq).execution_options(yield_per=batch))
            for row in conn.execute(query):
                result.rows += 1
                if broken:
                    continue
                broken = _check_row(site, row, expected_seq, prev)
                expected_seq, prev = int(row.seq) + 1, row.hash
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
