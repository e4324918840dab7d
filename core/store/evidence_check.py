"""Checking an evidence pack offline, with nothing but the pack and the site's public key.

The order is the order of trust: the zip must be readable; the signature must be the site's
signature of the manifest; the manifest must list exactly the files present, each with its
digest; the chain segment must re-walk; and every reader-facing file must be exactly what the
chain segment derives (``core.store.evidence_story``). The first failure is raised as one
``EvidenceProblem`` line. Whatever a damaged or hostile file does, the checker answers with a
verdict, never a traceback.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from baytwin.core.store.chain import canonical, personal_digest, row_hash, sha256_hex
from baytwin.core.store.commitments import CROP_COMMIT, POLICY_DIGEST, crop_commitment, personal_commitment
from baytwin.core.store.evidence_story import (
    ChainRow,
    derive_sessions,
    derive_violation,
    evidence_start,
    in_timeline,
    opened_row,
    render_summary,
    shown,
)
from baytwin.core.store.log import split_personal
from baytwin.core.store.pack_format import CROP_NAME, FILES, MANIFEST, SIGNATURE, EvidenceProblem, to_json
from baytwin.core.store.signing import key_id, signature_holds

MAX_UNPACKED = 512 * 1024 * 1024  # a pack is JSON and a few crops; anything bigger is not one
TIMELINE_KEYS = {"seq", "kind", "event", "personal", "salt", "crop"}


def verify_pack(path: Path, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """Check a pack on its own; returns its manifest (with ``rows_checked``) or raises naming the first problem."""
    files = read_zip(path)
    try:
        return _verify(files, public_key)
    except EvidenceProblem as err:
        raise EvidenceProblem(f"{path}: {err}") from None
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as err:
        raise EvidenceProblem(f"{path}: malformed pack ({type(err).__name__}: {str(err)[:120]})") from None


def read_zip(path: Path) -> dict[str, bytes]:
    """Every member of the zip, read and CRC-checked; any way the file can be damaged becomes one EvidenceProblem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EvidenceProblem(f"{path}: no such file") from None
    except OSError as err:
        raise EvidenceProblem(f"{path}: cannot read ({err.strerror or err})") from None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as pack:
            infos = pack.infolist()
            names = [info.filename for info in infos]
            if len(names) != len(set(names)):
                raise EvidenceProblem(f"{path}: the zip holds two files of the same name")
            if sum(info.file_size for info in infos) > MAX_UNPACKED:
                raise EvidenceProblem(f"{path}: unpacks to more than {MAX_UNPACKED // 2**20} MB (not an evidence pack)")
            return {info.filename: pack.read(info) for info in infos}
    except EvidenceProblem:
        raise
    except Exception as err:  # noqa: BLE001 - zipfile and zlib raise many types on damaged input; all mean the same here
        reason = str(err).splitlines()[0][:100] if str(err) else type(err).__name__
        raise EvidenceProblem(f"{path}: not a readable zip file (corrupt or truncated: {reason})") from None


def _verify(files: dict[str, bytes], public_key: Ed25519PublicKey) -> dict[str, Any]:
    if MANIFEST not in files:
        raise EvidenceProblem("no manifest.json (not an evidence pack)")
    if SIGNATURE not in files:
        raise EvidenceProblem("no signature.json (an unsigned pack cannot be trusted)")
    signature = json.loads(files[SIGNATURE])
    trusted = key_id(public_key)
    if not signature_holds(public_key, files[MANIFEST], signature["signature"]):
        named = signature.get("key_id")
        by = f" (it names key {named}, the given public key is {trusted})" if named != trusted else ""
        raise EvidenceProblem(f"the signature does not match the manifest under the site's public key{by}: "
                              "the manifest was changed or signed by someone else")
    manifest = json.loads(files[MANIFEST])
    _check_listing(files, manifest["files"])
    chain = json.loads(files["chain.json"])
    rows = [ChainRow.from_dict(row) for row in chain["rows"]]
    _check_chain(chain["site"], rows)
    checked = _check_story(files, manifest, chain["site"], rows)
    return {**manifest, "rows_checked": checked, "signed_by": trusted}


def _check_listing(files: dict[str, bytes], listed: dict[str, str]) -> None:
    """The manifest covers every file in the pack, and only those, each by its digest."""
    present = set(files) - {MANIFEST, SIGNATURE}
    for name in sorted(present - set(listed)):
        raise EvidenceProblem(f"{name} is not listed in the manifest (a file was added)")
    for name in sorted(set(listed) - present):
        raise EvidenceProblem(f"{name} is missing (a file was removed)")
    for name in sorted(listed):
        if hashlib.sha256(files[name]).hexdigest() != listed[name]:
            raise EvidenceProblem(f"{name} was altered (its digest does not match the manifest)")
    for name in FILES:
        if name not in files:
            raise EvidenceProblem(f"incomplete pack: {name} is missing")
    for name in sorted(present - set(FILES)):
        if not CROP_NAME.fullmatch(name):
            raise EvidenceProblem(f"{name} is not a file an evidence pack holds")


def _check_chain(site: str, rows: list[ChainRow]) -> None:
    if not rows:
        raise EvidenceProblem("the chain segment is empty")
    for before, row in zip(rows, rows[1:]):
        if row.seq != before.seq + 1 or row.prev_hash != before.hash:
            raise EvidenceProblem(f"chain broken between rows {before.seq} and {row.seq}")
    for row in rows:
        if row.public is not None and sha256_hex(row.public) != row.public_sha256:
            raise EvidenceProblem(f"chain row {row.seq}'s public part does not match its digest")
        if row_hash(row.prev_hash, site, row.seq, row.ts, row.kind, row.bay, row.public_sha256,
                    row.personal_digest, row.evidence_digest) != row.hash:
            raise EvidenceProblem(f"chain row {row.seq} does not match its hash")


def _check_story(files: dict[str, bytes], manifest: dict[str, Any], site: str, rows: list[ChainRow]) -> int:
    """Re-derive every reader-facing file from the chain rows and require the pack's to be the same."""
    violation_id = manifest["violation_id"]
    opened = opened_row(rows, violation_id)
    if opened is None:
        raise EvidenceProblem(f"the chain segment does not contain the opening of {violation_id}")
    if manifest["site"] != site or manifest["bay"] != opened.bay:
        raise EvidenceProblem("the manifest's site or bay is not the chained opening's")
    start, end = manifest["window"]["from"], manifest["window"]["to"]
    if start > evidence_start(opened):
        raise EvidenceProblem("the window starts after the violation's first evidence (rows were left out)")
    chained = [row for row in rows if in_timeline(row, opened.bay, start, end)]
    if not chained or chained[0].seq != rows[0].seq or chained[-1].seq != rows[-1].seq:
        raise EvidenceProblem("the chain segment does not begin and end with timeline rows")
    for row in chained:
        if row.public is None:
            raise EvidenceProblem(f"timeline row {row.seq}'s public part is not in chain.json")
    timeline = json.loads(files["timeline.json"])
    _check_timeline(files, timeline, chained)
    facts = derive_violation(site, violation_id, chained)
    if end is not None and facts["closed_at"] is not None and end < facts["closed_at"]:
        raise EvidenceProblem("the window ends before the violation's close (rows were left out)")
    if facts["rule"] != manifest["rule"]:
        raise EvidenceProblem("the manifest's rule is not the chained opening's")
    sessions = derive_sessions(site, chained)
    policy = _check_policy(files, opened)
    for name, derived in (("sessions.json", to_json(sessions)), ("violation.json", to_json(facts)),
                          ("summary.html", render_summary(facts, timeline, sessions, policy).encode("utf-8"))):
        if files[name] != derived:
            raise EvidenceProblem(f"{name} is not what the chained events say (edited)")
    return len(rows)


def _check_timeline(files: dict[str, bytes], timeline: list[dict[str, Any]], chained: list[ChainRow]) -> None:
    shown_seqs = [entry["seq"] for entry in timeline]
    for row in chained:
        if row.seq not in shown_seqs:
            raise EvidenceProblem(f"timeline.json lacks chained row {row.seq} (a row was removed)")
    if shown_seqs != [row.seq for row in chained]:
        extra = sorted(set(shown_seqs) - {row.seq for row in chained})
        raise EvidenceProblem(f"timeline.json shows row(s) {extra or shown_seqs} the chain does not place there (added or moved)")
    crops = {name for name in files if CROP_NAME.fullmatch(name)}
    for entry, row in zip(timeline, chained):
        if set(entry) != TIMELINE_KEYS or entry["kind"] != row.kind:
            raise EvidenceProblem(f"timeline row {row.seq} is not its chained row (edited)")
        public, personal = split_personal(entry["event"])
        claims = {path: value for path, value in personal.items() if value != "<personal>"}
        if public != shown(row.data):
            raise EvidenceProblem(f"timeline row {row.seq} does not match its chained row (edited)")
        _check_personal(row, entry, claims)
        if entry["crop"] is not None:
            crops.discard(entry["crop"])
            _check_crop(files, row, entry)
    for name in sorted(crops):
        raise EvidenceProblem(f"{name} belongs to no timeline row")


def _check_personal(row: ChainRow, entry: dict[str, Any], claims: dict[str, Any]) -> None:
    """A plate shown in the clear must be the one its chained row committed to."""
    if not claims:
        if entry["personal"] is not None:
            raise EvidenceProblem(f"timeline row {row.seq} carries personal data it does not show")
        return
    stored = entry["personal"]
    if not isinstance(stored, str) or personal_digest(stored) != row.personal_digest:
        raise EvidenceProblem(f"the personal part of timeline row {row.seq} does not match the chain")
    if personal_commitment(str(entry["salt"]), claims) != json.loads(stored).get("commit"):
        raise EvidenceProblem(f"the plate or token shown in timeline row {row.seq} is not the one its chained row holds (edited)")


def _check_crop(files: dict[str, bytes], row: ChainRow, entry: dict[str, Any]) -> None:
    name = entry["crop"]
    if name != f"crops/{row.seq}.png" or name not in files:
        raise EvidenceProblem(f"timeline row {row.seq} names a crop the pack does not hold")
    if crop_commitment(str(entry["salt"]), files[name]) != row.data.get(CROP_COMMIT):
        raise EvidenceProblem(f"{name} is not the crop its chained row commits to (edited)")


def _check_policy(files: dict[str, bytes], opened: ChainRow) -> dict[str, Any]:
    """policy.json must be the document whose digest the chained opening names."""
    policy = json.loads(files["policy.json"])
    digest = opened.data.get(POLICY_DIGEST)
    if digest is None:
        expected = {"digest": None, "name": None, "version": None, "document": None}
    else:
        document = policy["document"]
        if not isinstance(document, dict) or sha256_hex(canonical(document)) != digest:
            raise EvidenceProblem("policy.json is not the policy the chained opening names (edited)")
        expected = {"digest": digest, "name": document.get("name"), "version": document.get("version"),
                    "document": document}
    if files["policy.json"] != to_json(expected):
        raise EvidenceProblem("policy.json is not the policy the chained opening names (edited)")
    return expected
