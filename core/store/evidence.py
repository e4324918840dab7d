"""Evidence packs: one violation's whole story, signed, checkable offline with the site's public key.

A pack is a zip file in which every reader-facing file is derived from the chained event rows
the pack itself carries (``core.store.evidence_story``):

* ``chain.json``     the contiguous run of the site's hash chain the pack relies on: every row
                     between the first and the last timeline row, with all its hash covers;
* ``timeline.json``  that bay's rows from the first evidence to the close, as events; plates
                     shown in the clear carry the salt that ties them to their row's commitment;
* ``sessions.json``  the bay's charging sessions, replayed from the chained session events;
* ``violation.json`` the violation's facts (opening, close, actions) from its chained events;
* ``policy.json``    the policy document whose digest the violation's chained row names;
* ``crops/<row>.png`` plate crops (never full frames), each tied to its row's commitment;
* ``summary.html``   the same story for a person to read and print, rendered from the above;
* ``manifest.json``  the SHA-256 of every file above, the violation, window and chain head;
* ``signature.json`` the site's Ed25519 signature of ``manifest.json``.

The checker (``core.store.evidence_check.verify_pack``) needs only the pack and the site's
public key: it checks the signature, that the manifest lists exactly the files present, their
digests, the chain segment, and then re-derives every file and requires it to be the same.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from baytwin.core.store import schema
from baytwin.core.store.chain import canonical, sha256_hex
from baytwin.core.store.commitments import CROP_COMMIT, POLICY_DIGEST, salt
from baytwin.core.store.evidence_story import (
    ChainRow,
    derive_sessions,
    derive_violation,
    evidence_start,
    in_timeline,
    render_summary,
    shown,
)
from baytwin.core.store.evidence_check import verify_pack
from baytwin.core.store.log import EventLog, reveal
from baytwin.core.store.pack_format import MANIFEST, SIGNATURE, EvidenceProblem, to_json
from baytwin.core.store.signing import Signer, SigningProblem, signer_from_environment

__all__ = ["EvidenceProblem", "export_pack", "verify_pack"]

def export_pack(log: EventLog, violation_id: str, out: Path, exported_at: float, signer: Signer | None = None) -> dict[str, Any]:
    """Write the signed pack for ``violation_id`` to ``out``; returns its manifest.

    Without ``signer`` the signing key is found as the command line finds it (``BAYTWIN_SIGNING_KEY_FILE``,
    else beside ``BAYTWIN_KEY_FILE``); no signing key, no pack: an unsigned pack proves nothing.
    """
    if signer is None:
        try:
            signer = signer_from_environment(None, None)
        except SigningProblem as err:
            raise EvidenceProblem(str(err)) from None
    try:
        return _export(log, violation_id, out, exported_at, signer)
    except (ValueError, KeyError, TypeError) as err:
        raise EvidenceProblem(f"{violation_id}: the log's rows cannot be read ({type(err).__name__}: {str(err)[:80]}); "
                              "run baytwin audit verify") from None


def _export(log: EventLog, violation_id: str, out: Path, exported_at: float, signer: Signer) -> dict[str, Any]:
    t = schema.event_log
    with log.engine.connect() as conn:
        site, opened = _opening(conn, violation_id)
        start = _session_start(conn, site, opened.bay, evidence_start(opened))
        end = _close_time(conn, site, opened, violation_id)
        window = [t.c.site == site, t.c.ts >= start, or_(t.c.bay == opened.bay, t.c.kind == "retention_purged")]
        if end is not None:
            window.append(t.c.ts <= end)
        rows = conn.execute(select(t).where(*window).order_by(t.c.seq)).mappings().all()
        first, last = rows[0]["seq"], rows[-1]["seq"]
        segment = [_chain_row(r) for r in conn.execute(select(t).where(t.c.site == site, t.c.seq >= first, t.c.seq <= last)
                                                       .order_by(t.c.seq)).mappings()]
        head = conn.execute(select(schema.chain_heads).where(schema.chain_heads.c.site == site)).mappings().one()
        policy = _policy(conn, opened)

    stored = {r["seq"]: r for r in rows}
    timeline_rows = [row for row in segment if in_timeline(row, opened.bay, start, end)]
    files: dict[str, bytes] = {}
    timeline = []
    for row in timeline_rows:
        entry, crop = _timeline_entry(log, site, row, stored[row.seq])
        timeline.append(entry)
        if crop is not None:
            files[f"crops/{row.seq}.png"] = crop
    facts = derive_violation(site, violation_id, timeline_rows)
    sessions = derive_sessions(site, timeline_rows)
    files.update({
        "chain.json": to_json({"site": site, "rows": [
            (row if in_timeline(row, opened.bay, start, end) else row.withheld()).as_dict() for row in segment]}),
        "timeline.json": to_json(timeline),
        "sessions.json": to_json(sessions),
        "violation.json": to_json(facts),
        "policy.json": to_json(policy),
        "summary.html": render_summary(facts, timeline, sessions, policy).encode("utf-8"),
    })
    manifest = {
        "violation_id": violation_id, "site": site, "bay": opened.bay, "rule": facts["rule"],
        "window": {"from": start, "to": end}, "exported_at": exported_at,
        "chain_head": {"seq": head["seq"], "hash": head["hash"]}, "key_id": signer.key_id,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    manifest_bytes = to_json(manifest)
    signature = {"algorithm": "Ed25519", "key_id": signer.key_id, "signature": signer.sign(manifest_bytes)}
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as pack:
        for name, data in files.items():
            pack.writestr(name, data)
        pack.writestr(MANIFEST, manifest_bytes)
        pack.writestr(SIGNATURE, to_json(signature))
    return manifest


def _opening(conn: Connection, violation_id: str) -> tuple[str, ChainRow]:
    """The violation's chained opening row (the projection only says where to look)."""
    v, t = schema.violations, schema.event_log
    found = conn.execute(select(v.c.site, v.c.opened_seq).where(v.c.violation_id == violation_id)).first()
    if found is None:
        raise EvidenceProblem(f"no violation {violation_id!r} in this database")
    row = conn.execute(select(t).where(t.c.site == found.site, t.c.seq == found.opened_seq)).mappings().first()
    if row is None or row["kind"] != "violation_opened" or json.loads(row["public"]).get("violation_id") != violation_id:
        raise EvidenceProblem(f"{violation_id}: the violations table points at log row {found.opened_seq}, which is not "
                              "its opening (run baytwin audit verify)")
    return found.site, _chain_row(row)


def _session_start(conn: Connection, site: str, bay: str, start: float) -> float:
    """Move the window's start back to the start of a session still open in the bay at ``start``."""
    t = schema.event_log
    started = conn.execute(select(t.c.seq, t.c.ts, t.c.public)
                           .where(t.c.site == site, t.c.bay == bay, t.c.kind == "session_started", t.c.ts < start)
                           .order_by(t.c.seq.desc()).limit(1)).first()
    if started is None:
        return start
    session_id = json.loads(started.public).get("session_id")
    ends = conn.execute(select(t.c.public).where(t.c.site == site, t.c.bay == bay, t.c.seq > started.seq, t.c.ts < start,
                                                 t.c.kind.in_(("session_ended", "session_faulted")))).scalars()
    if any(json.loads(public).get("session_id") == session_id for public in ends):
        return start
    return float(started.ts)


def _close_time(conn: Connection, site: str, opened: ChainRow, violation_id: str) -> float | None:
    t = schema.event_log
    closes = conn.execute(select(t.c.ts, t.c.public).where(and_(t.c.site == site, t.c.bay == opened.bay,
                                                                t.c.kind == "violation_closed", t.c.seq > opened.seq))
                          .order_by(t.c.seq)).all()
    for close in closes:
        if json.loads(close.public).get("violation_id") == violation_id:
            return max(float(close.ts), opened.ts)
    return None


def _policy(conn: Connection, opened: ChainRow) -> dict[str, Any]:
    """The policy document the chained opening names by digest (none when the row names none)."""
    digest = opened.data.get(POLICY_DIGEST)
    if not digest:
        return {"digest": None, "name": None, "version": None, "document": None}
    text = conn.execute(select(schema.store_meta.c.value).where(schema.store_meta.c.name == f"policy:{digest}")).scalar()
    if text is None or sha256_hex(canonical(json.loads(text))) != digest:
        raise EvidenceProblem(f"the stored policy document {digest[:12]}… is missing or does not match its digest "
                              "(run baytwin audit verify)")
    document = json.loads(text)
    return {"digest": digest, "name": document.get("name"), "version": document.get("version"), "document": document}


def _chain_row(row: Any) -> ChainRow:
    return ChainRow(seq=int(row["seq"]), ts=float(row["ts"]), kind=row["kind"], bay=row["bay"], public=row["public"],
                    public_sha256=sha256_hex(row["public"]), personal_digest=row["personal_digest"], evidence_digest=row["evidence_digest"],
                    prev_hash=row["prev_hash"], hash=row["hash"])


def _timeline_entry(log: EventLog, site: str, row: ChainRow, stored: Any) -> tuple[dict[str, Any], bytes | None]:
    """A timeline row and its crop: plates and crops only where their commitment lets a reader check them."""
    personal = stored["personal"]
    committed = personal is not None and "commit" in json.loads(personal)
    event = shown(reveal(log.keys, row.public, personal if committed else None))
    crop = None
    if stored["evidence"] is not None and CROP_COMMIT in row.data:
        crop = base64.b64decode(log.keys.unseal(stored["evidence"])["png"])
    entry = {"seq": row.seq, "kind": row.kind, "event": event, "personal": personal if committed else None,
             "salt": salt(log.keys, site, row.seq) if committed or crop is not None else None,
             "crop": f"crops/{row.seq}.png" if crop is not None else None}
    return entry, crop
