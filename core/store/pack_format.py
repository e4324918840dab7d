"""What an evidence pack is made of: its file names, its JSON layout, and the one error it raises.

Shared by the exporter (``core.store.evidence``) and the checker (``core.store.evidence_check``),
which must agree byte for byte on how a derived file is written.
"""

from __future__ import annotations

import json
import re
from typing import Any

FILES = ("chain.json", "timeline.json", "sessions.json", "violation.json", "policy.json", "summary.html")
MANIFEST, SIGNATURE = "manifest.json", "signature.json"
CROP_NAME = re.compile(r"crops/([0-9]+)\.png")


class EvidenceProblem(Exception):
    """The violation cannot be exported, or a pack does not check out; the message says why."""


def to_json(data: Any) -> bytes:
    """The one JSON layout of a pack's files (the checker re-renders derived files with it and compares bytes)."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
