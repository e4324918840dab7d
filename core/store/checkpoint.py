"""Checkpoints: signed statements of each site's chain head, kept outside the database.

The chain shows that no row was changed *relative to the rows around it*; someone who can
write the database can still recompute the whole chain after an edit, cut off its tail and
rewind ``chain_heads``, or delete a site outright, and the walk would find nothing. A
checkpoint, written to a folder outside the database and signed with the site's signing key,
pins a row: "at this time, site S's chain had N rows and row N's hash was H". ``audit verify
--checkpoints DIR`` then requires every pinned row to be there with that hash, and rows logged
after the newest checkpoint not to be dated before what it pinned (a forged row slipped in
later and backdated).

One JSON file per checkpoint, never overwritten: keep the folder on other storage (another
machine, write-once media, a bucket with object lock) so it does not share the database's fate.
A long-running service calls :func:`write_checkpoint` on a timer.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Engine, func, select

from baytwin.core.store import schema
from baytwin.core.store.chain import canonical, row_hash, sha256_hex
from baytwin.core.store.signing import Signer, key_id, signature_holds
from baytwin.core.store.verify import Break

LATE_ALLOWANCE_S = 3600.0  # how much earlier than the newest anchored event a later row may be dated (late events)


class CheckpointProblem(Exception):
    """A checkpoint cannot be written or the folder cannot be read; the message says why."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What one file states: site ``site`` had ``seq`` rows, the last with hash ``hash``; the newest event time among them."""

    site: str
    seq: int
    hash: str
    head_ts: float
    written_at: float
    key_id: str
    signature: str = ""

    def statement(self) -> bytes:
        """The signed bytes: every field but the signature, canonical JSON."""
        fields = {k: v for k, v in asdict(self).items() if k != "signature"}
        return canonical(fields).encode("utf-8")

    @property
    def when(self) -> str:
        return datetime.fromtimestamp(self.written_at, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def take(conn: Connection, site: str, signer: Signer, now: float) -> Checkpoint | None:
    """A signed checkpoint of the site's head, or None for a site without rows.

    Refuses a head that disagrees with the log's last row: anchoring a log that is already broken
    would vouch for the break.
    """
    t, heads = schema.event_log.c, schema.chain_heads.c
    last = conn.execute(select(t.seq, t.ts, t.kind, t.bay, t.public, t.personal_digest, t.evidence_digest,
                               t.prev_hash, t.hash).where(t.site == site).order_by(t.seq.desc()).limit(1)).first()
    head = conn.execute(select(heads.seq, heads.hash).where(heads.site == site)).first()
    if last is None:
        if head is not None and int(head.seq) != 0:
            raise CheckpointProblem(f"site {site}: the chain head records row {head.seq} but the log has no rows; "
                                    "run baytwin audit verify")
        return None
    if head is None or (int(head.seq), head.hash) != (int(last.seq), last.hash) or last.hash != row_hash(
            last.prev_hash, site, int(last.seq), last.ts, last.kind, last.bay, sha256_hex(last.public),
            last.personal_digest, last.evidence_digest):
        raise CheckpointProblem(f"site {site}: the chain head and the log's last row (row {last.seq}) disagree; "
                                "run baytwin audit verify before anchoring it")
    newest = conn.execute(select(func.max(t.ts)).where(t.site == site)).scalar_one()
    unsigned = Checkpoint(site, int(last.seq), last.hash, float(newest), float(now), signer.key_id)
    return Checkpoint(**{**asdict(unsigned), "signature": signer.sign(unsigned.statement())})


def write_checkpoint(bind: Engine | Connection, site: str, signer: Signer, out_dir: Path, now: float) -> Path | None:
    """Anchor one site's head in ``out_dir``; returns the new file (None for a site without rows).

    For services: call it on a timer (e.g. hourly) with the site's signing key.
    """
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            checkpoint = take(conn, site, signer, now)
    else:
        checkpoint = take(bind, site, signer, now)
    return None if checkpoint is None else save(checkpoint, out_dir)


def write_checkpoints(engine: Engine, signer: Signer, out_dir: Path, now: float) -> list[Path]:
    """Anchor every site's head; a site without rows is skipped."""
    t = schema.event_log.c
    with engine.connect() as conn:
        sites = sorted(set(conn.execute(select(schema.chain_heads.c.site)).scalars())
                       | set(conn.execute(select(t.site).distinct()).scalars()))
        checkpoints = [take(conn, site, signer, now) for site in sites]
    return [save(c, out_dir) for c in checkpoints if c is not None]


def save(checkpoint: Checkpoint, out_dir: Path) -> Path:
    """Write a new file (never replacing one): ``<site>-<row>-<time>.json``."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CheckpointProblem(f"{out_dir}: cannot create the checkpoint folder ({err.strerror or err})") from None
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", checkpoint.site)[:40] + "-" + hashlib.sha256(checkpoint.site.encode()).hexdigest()[:6]
    stamp = datetime.fromtimestamp(checkpoint.written_at, timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    body = (json.dumps(asdict(checkpoint), indent=2, sort_keys=True) + "\n").encode("utf-8")
    for attempt in range(1000):
        path = out_dir / f"{safe}-{checkpoint.seq:012d}-{stamp}{'' if attempt == 0 else f'-{attempt}'}.json"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        except FileExistsError:
            continue
        except OSError as err:
            raise CheckpointProblem(f"{path}: cannot write ({err.strerror or err})") from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        return path
    raise CheckpointProblem(f"{out_dir}: too many checkpoints of row {checkpoint.seq} in one second")


def load(folder: Path, public: Ed25519PublicKey) -> tuple[list[Checkpoint], list[str]]:
    """The folder's checkpoints whose signature holds under ``public``, and one line per file that is not one."""
    if not folder.is_dir():
        raise CheckpointProblem(f"{folder}: no such checkpoint folder")
    trusted, problems = key_id(public), []
    found: list[Checkpoint] = []
    for path in sorted(folder.glob("*.json")):
        try:
            data: dict[str, Any] = json.loads(path.read_bytes())
            checkpoint = Checkpoint(site=str(data["site"]), seq=int(data["seq"]), hash=str(data["hash"]),
                                    head_ts=float(data["head_ts"]), written_at=float(data["written_at"]),
                                    key_id=str(data["key_id"]), signature=str(data["signature"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            problems.append(f"checkpoint {path.name}: not a checkpoint file (damaged)")
            continue
        if not signature_holds(public, checkpoint.statement(), checkpoint.signature):
            other = f" (signed by key {checkpoint.key_id}, not {trusted})" if checkpoint.key_id != trusted else ""
            problems.append(f"checkpoint {path.name}: its signature does not hold{other}: edited, or not this site's")
            continue
        found.append(checkpoint)
    return found, problems


@dataclass
class Anchoring:
    """What the checkpoints say about the log: breaks, and how much of it no checkpoint covers yet."""

    checked: int = 0
    breaks: list[Break] | None = None
    unanchored: dict[str, int] | None = None


def check(conn: Connection, checkpoints: list[Checkpoint], late_allowance: float = LATE_ALLOWANCE_S) -> Anchoring:
    """Hold the log to its checkpoints: every anchored row present with its hash, nothing backdated after the newest."""
    t = schema.event_log.c
    result = Anchoring(len(checkpoints), [], {})
    by_site: dict[str, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        by_site.setdefault(checkpoint.site, []).append(checkpoint)
    log_sites = set(conn.execute(select(t.site).distinct()).scalars())
    for site in sorted(set(by_site) | log_sites):
        pinned = sorted(by_site.get(site, []), key=lambda c: (c.seq, c.written_at))
        last = conn.execute(select(func.max(t.seq)).where(t.site == site)).scalar()
        if not pinned:
            result.unanchored[site] = int(last or 0)  # type: ignore[index]
            continue
        broken = _check_site(conn, site, pinned, last)
        if broken is None:
            broken = _backdated(conn, site, pinned[-1], late_allowance)
        if broken is not None:
            result.breaks.append(broken)  # type: ignore[union-attr]
        elif last is not None and int(last) > pinned[-1].seq:
            result.unanchored[site] = int(last) - pinned[-1].seq  # type: ignore[index]
    return result


def _check_site(conn: Connection, site: str, pinned: list[Checkpoint], last: int | None) -> Break | None:
    t = schema.event_log.c
    if last is None:
        newest = pinned[-1]
        return Break(site, newest.seq, f"the site has checkpoints (the last of {newest.when}, row {newest.seq}) but no rows "
                                       "in the log: the site was deleted")
    for checkpoint in pinned:
        if checkpoint.seq > int(last):
            return Break(site, int(last) + 1, f"the log ends at row {last} but the checkpoint of {checkpoint.when} "
                                              f"anchored row {checkpoint.seq}: rows were removed from the end")
        found = conn.execute(select(t.hash).where(t.site == site, t.seq == checkpoint.seq)).scalar()
        if found != checkpoint.hash:
            return Break(site, checkpoint.seq, f"not the row the checkpoint of {checkpoint.when} anchored "
                                               "(the chain was rewritten up to here)")
    return None


def _backdated(conn: Connection, site: str, newest: Checkpoint, late_allowance: float) -> Break | None:
    t = schema.event_log.c
    row = conn.execute(select(t.seq, t.ts).where(t.site == site, t.seq > newest.seq, t.ts < newest.head_ts - late_allowance)
                       .order_by(t.seq).limit(1)).first()
    if row is None:
        return None
    early = (newest.head_ts - float(row.ts)) / 60.0
    return Break(site, int(row.seq), f"logged after the checkpoint of {newest.when} (row {newest.seq}) but dated "
                                     f"{early:,.0f} min before the newest event it anchored: a row appended and backdated")
