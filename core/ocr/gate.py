"""The confidence gate: act at once, send for review, or fall back.

Above the threshold a read is acted on automatically; between the review
floor and the threshold it goes to a person; below that, or with no plate at
all, the plate is unreadable and the site relies on RFID/QR authorization and
on occupancy alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["accepted", "review", "unreadable"]


@dataclass(frozen=True, slots=True)
class ConfidenceGate:
    accept_at: float = 0.90
    review_from: float = 0.50

    def __post_init__(self) -> None:
        if not 0.0 <= self.review_from <= self.accept_at <= 1.0:
            raise ValueError("need 0 <= review_from <= accept_at <= 1")

    def decide(self, plate: str | None, confidence: float) -> Status:
        if not plate:
            return "unreadable"
        if confidence >= self.accept_at:
            return "accepted"
        if confidence >= self.review_from:
            return "review"
        return "unreadable"
