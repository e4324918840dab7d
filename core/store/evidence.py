"""Evidence packs: one violation's whole story, checkable without the database.

A pack is a zip file:

* ``timeline.json``  the stored events of that bay from the first evidence to the close,
                     with their personal fields unsealed (the driver's plate, as read);
* ``sessions.json``  the charging sessions of that bay in that window;
* ``policy.json``    the policy document (name, version, digest) that decided it;
* ``proof.json``     the contiguous run of the site's hash chain that covers the timeline:
                     for every row its digests and links, so the chain can be re-walked;
* ``crops/``         plate crops where the store holds them (never full frames);
* ``summary.html``   the same story for a person to read and print;
* ``manifest.json``  SHA-256 of every other file, the violation id and the chain head at export.

``verify_pack`` re-checks the manifest digests, re-walks the chain segment and checks that
every timeline row is the row the chain covers.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from core.store import schema
from core.store.chain import personal_digest, row_hash, sha256_hex
from core.store.log import EventLog, reveal

FILES = ("timeline.json", "sessions.json", "policy.json", "proof.json", "summary.html")


class EvidenceProblem(Exception):
    """The violation cannot be exported, or a pack does not check out; the message says why."""


def export_pack(log: EventLog, violation_id: str, out: Path, exported_at: float) -> dict[str, Any]:
    """Write the pack for ``violation_id`` to ``out``; returns its manifest."""
    t, v = schema.event_log, schema.violations
    with log.engine.connect() as conn:
        violation = conn.execute(select(v).where(v.c.violation_id == violation_id)).mappings().first()
        if violation is None:
            raise EvidenceProblem(f"no violation {violation_id!r} in this database")
        site, bay = violation["site"], violation["bay"]
        opened = conn.execute(select(t).where(t.c.site == site, t.c.seq == violation["opened_seq"])).mappings().one()
        evidence = json.loads(opened["public"]).get("evidence", [])
        start = min([e["ts"] for e in evidence] + [violation["opened_at"]])
        end = violation["closed_at"] if violation["closed_at"] is not None else float("inf")
        window = [t.c.site == site, t.c.ts >= start, or_(t.c.bay == bay, t.c.kind == "retention_purged")]
        if end != float("inf"):
            window.append(t.c.ts <= end)
        rows = conn.execute(select(t).where(*window).order_by(t.c.seq)).mappings().all()
        first, last = rows[0]["seq"], rows[-1]["seq"]
        segment = conn.execute(select(t.c.seq, t.c.ts, t.c.kind, t.c.bay, t.c.public, t.c.personal_digest,
                                      t.c.evidence_digest, t.c.prev_hash, t.c.hash)
                               .where(t.c.site == site, t.c.seq >= first, t.c.seq <= last).order_by(t.c.seq)).all()
        head = conn.execute(select(schema.chain_heads).where(schema.chain_heads.c.site == site)).mappings().one()
        s = schema.sessions
        sessions = conn.execute(select(s).where(s.c.site == site, s.c.bay == bay, s.c.started_at <= end,
                                                or_(s.c.ended_at.is_(None), s.c.ended_at >= start))).mappings().all()
        policy_doc = None
        if violation["policy_digest"]:
            policy_doc = conn.execute(select(schema.store_meta.c.value)
                                      .where(schema.store_meta.c.name == f"policy:{violation['policy_digest']}")).scalar()

    timeline = [_timeline_row(log, row) for row in rows]
    proof = {"site": site, "rows": [{
        "seq": r.seq, "ts": r.ts, "kind": r.kind, "bay": r.bay, "public_sha256": sha256_hex(r.public),
        "personal_digest": r.personal_digest, "evidence_digest": r.evidence_digest,
        "prev_hash": r.prev_hash, "hash": r.hash} for r in segment]}
    policy = {"name": violation["policy_name"], "version": violation["policy_version"],
              "digest": violation["policy_digest"], "document": json.loads(policy_doc) if policy_doc else None}
    files: dict[str, bytes] = {
        "timeline.json": _json(timeline),
        "sessions.json": _json([{k: val for k, val in row.items() if k != "subject"} for row in sessions]),
        "policy.json": _json(policy),
        "proof.json": _json(proof),
    }
    for row in rows:
        if row["evidence"] is not None:
            crop = log.keys.unseal(row["evidence"])["png"]
            files[f"crops/{row['seq']}.png"] = base64.b64decode(crop)
    files["summary.html"] = _summary_html(dict(violation), timeline, policy).encode("utf-8")
    manifest = {
        "violation_id": violation_id, "site": site, "bay": bay, "rule": violation["rule"],
        "exported_at": exported_at, "chain_head": {"seq": head["seq"], "hash": head["hash"]},
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as pack:
        for name, data in files.items():
            pack.writestr(name, data)
        pack.writestr("manifest.json", _json(manifest))
    return manifest


def verify_pack(path: Path) -> dict[str, Any]:
    """Check a pack on its own; raises EvidenceProblem naming the first thing that is wrong."""
    try:
        with zipfile.ZipFile(path) as pack:
            names = set(pack.namelist())
            if "manifest.json" not in names:
                raise EvidenceProblem(f"{path}: no manifest.json (not an evidence pack)")
            manifest = json.loads(pack.read("manifest.json"))
            contents = {}
            for name, digest in manifest["files"].items():
                if name not in names:
                    raise EvidenceProblem(f"{path}: {name} is missing")
                data = pack.read(name)
                if hashlib.sha256(data).hexdigest() != digest:
                    raise EvidenceProblem(f"{path}: {name} was altered (its digest does not match the manifest)")
                contents[name] = data
    except FileNotFoundError:
        raise EvidenceProblem(f"{path}: no such file") from None
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile):
        raise EvidenceProblem(f"{path}: not a readable zip file (corrupt or truncated)") from None
    except (KeyError, ValueError, TypeError) as err:
        raise EvidenceProblem(f"{path}: malformed pack ({err})") from None
    if not set(FILES) <= set(contents):
        raise EvidenceProblem(f"{path}: incomplete pack (needs {', '.join(FILES)})")
    proof = json.loads(contents["proof.json"])
    timeline = json.loads(contents["timeline.json"])
    _check_chain(path, proof)
    covered = {row["seq"]: row for row in proof["rows"]}
    for entry in timeline:
        row = covered.get(entry["seq"])
        if row is None or sha256_hex(entry["public"]) != row["public_sha256"]:
            raise EvidenceProblem(f"{path}: timeline row {entry['seq']} is not the row the chain covers")
        if entry["personal"] is not None and personal_digest(entry["personal"]) != row["personal_digest"]:
            raise EvidenceProblem(f"{path}: personal data of timeline row {entry['seq']} does not match the chain")
        if entry.get("evidence") is not None and personal_digest(entry["evidence"]) != row["evidence_digest"]:
            raise EvidenceProblem(f"{path}: the crop of timeline row {entry['seq']} does not match the chain")
    opened = [e for e in timeline if e["kind"] == "violation_opened" and e["event"].get("violation_id") == manifest["violation_id"]]
    if not opened:
        raise EvidenceProblem(f"{path}: the timeline does not contain the opening of {manifest['violation_id']}")
    return manifest


def _check_chain(path: Path, proof: dict[str, Any]) -> None:
    rows = proof["rows"]
    for before, row in zip(rows, rows[1:]):
        if row["seq"] != before["seq"] + 1 or row["prev_hash"] != before["hash"]:
            raise EvidenceProblem(f"{path}: chain broken between rows {before['seq']} and {row['seq']}")
    for row in rows:
        if row_hash(row["prev_hash"], proof["site"], row["seq"], row["ts"], row["kind"], row["bay"],
                    row["public_sha256"], row["personal_digest"], row["evidence_digest"]) != row["hash"]:
            raise EvidenceProblem(f"{path}: chain row {row['seq']} does not match its hash")


def _timeline_row(log: EventLog, row: Any) -> dict[str, Any]:
    event = reveal(log.keys, row["public"], row["personal"])
    return {"seq": row["seq"], "kind": row["kind"], "public": row["public"], "personal": row["personal"],
            "evidence": row["evidence"], "event": event}


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True, default=str).encode("utf-8")


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _summary_html(violation: dict[str, Any], timeline: list[dict[str, Any]], policy: dict[str, Any]) -> str:
    def describe(event: dict[str, Any]) -> str:
        keys = ("plate", "confidence", "source", "session_id", "energy_kwh", "current_a", "by", "reason", "rule",
                "action", "amount")
        return ", ".join(f"{k}: {event[k]}" for k in keys if event.get(k) not in (None, "", 0.0))

    rows = "\n".join(
        f"<tr><td>{e['seq']}</td><td>{_when(e['event'].get('ts'))}</td><td>{html.escape(e['kind'])}</td>"
        f"<td>{html.escape(describe(e['event']))}</td></tr>" for e in timeline)
    minutes = violation.get("minutes")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Evidence {html.escape(violation['violation_id'])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px 8px;text-align:left}}</style>
</head><body>
<h1>Violation {html.escape(violation['violation_id'])}</h1>
<table>
<tr><th>Rule</th><td>{html.escape(violation['rule'])}</td></tr>
<tr><th>Site / bay</th><td>{html.escape(violation['site'])} / {html.escape(violation['bay'])}</td></tr>
<tr><th>Breach began</th><td>{_when(violation['since'])}</td></tr>
<tr><th>Opened</th><td>{_when(violation['opened_at'])}</td></tr>
<tr><th>Closed</th><td>{_when(violation['closed_at'])} ({html.escape(str(violation.get('close_reason') or 'open'))})</td></tr>
<tr><th>Minutes in breach</th><td>{'-' if minutes is None else f'{minutes:.1f}'}</td></tr>
<tr><th>Identity confidence</th><td>{violation['plate_confidence']:.3f}</td></tr>
<tr><th>Policy</th><td>{html.escape(str(policy.get('name')))} version {html.escape(str(policy.get('version')))}</td></tr>
</table>
<h2>Timeline</h2>
<table><tr><th>Row</th><th>Time</th><th>Event</th><th>Details</th></tr>
{rows}
</table>
<p>Each row is part of the site's tamper-evident log; proof.json holds the hash chain that covers it.
Check this pack with <code>baytwin evidence verify</code>.</p>
</body></html>
"""
