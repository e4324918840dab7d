"""Commitments: how a plate or a crop, shown in the clear, is bound to the chain without the key.

The chain covers a row's personal part only as the digest of its sealed (encrypted) form,
which a reader without the site's key cannot open. So each row also commits to its personal
fields and to its crop with a salted SHA-256: the personal commitment sits inside the sealed
row's personal JSON (erased with it, so an erased plate cannot be guessed back), the crop's in
the public part (a crop cannot be guessed from its hash). The salt is derived from the site's
key and the row's position; an evidence pack carries it beside the plate it reveals, and
anyone can recompute the commitment and find it in the chained row.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from baytwin.core.privacy import Keys
from baytwin.core.store.chain import canonical, sha256_hex

CROP_COMMIT = "_crop_commit"  # key of a crop's commitment in a row's public part
POLICY_DIGEST = "_policy_digest"  # key of the deciding policy's digest in a violation_opened row's public part


def salt(keys: Keys, site: str, seq: int) -> str:
    """The row's salt: unguessable without the key, the same every time the row is exported."""
    return hmac.new(keys.site_secret(site), f"baytwin/commit/{seq}".encode("utf-8"), hashlib.sha256).hexdigest()


def personal_commitment(row_salt: str, fields: dict[str, Any]) -> str:
    """Commitment to a row's personal fields (dotted path → raw value)."""
    return sha256_hex(f"{row_salt}|personal|{canonical(fields)}")


def crop_commitment(row_salt: str, png: bytes) -> str:
    """Commitment to a row's crop image."""
    return sha256_hex(f"{row_salt}|crop|{hashlib.sha256(png).hexdigest()}")
