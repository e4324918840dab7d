"""One camera or patrol read of a plate in the twin, whichever fidelity made it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Read:
    plate: str | None
    confidence: float
    correct: bool
    crop_png: bytes | None = None  # the plate crop the read came from, when there was an image
