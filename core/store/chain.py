"""The hash chain: how a stored event row is digested and linked to the one before.

Each row is split into a *public* part (what happened, where, when) and a
*personal* part (plates, id tokens, crops: personal data). The chain covers
the public part directly and the personal part through a salted digest, so
personal data can be erased when its retention ends without breaking the
chain, while any edit, insertion or deletion of a row still breaks it::

    hash = sha256(prev_hash | site | seq | ts | kind | bay | sha256(public) | personal_digest | evidence_digest)

Plate crops kept as evidence are a third part with their own digest, so they can be erased at
the end of their own retention.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical(data: Any) -> str:
    """One JSON text per value: sorted keys, no spaces, floats as Python prints them."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def personal_digest(personal: str | None) -> str:
    """Digest of the personal part as stored (it carries its own random salt); empty when there is none."""
    return sha256_hex(personal) if personal else ""


def row_hash(prev_hash: str, site: str, seq: int, ts: float, kind: str, bay: str, public_sha256: str,
             personal_digest_hex: str, evidence_digest_hex: str) -> str:
    """The chain link of one row (``public_sha256`` is ``sha256_hex(public)``)."""
    material = "|".join((prev_hash, site, str(seq), repr(float(ts)), kind, bay, public_sha256,
                         personal_digest_hex, evidence_digest_hex))
    return sha256_hex(material)
