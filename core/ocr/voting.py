"""Combining several frames of one vehicle into one read.

A camera captures a few frames as a car enters the bay. Each frame's read is a
string with a confidence per character; the vote is taken slot by slot,
weighting each candidate character by its confidence, so one blurred frame
cannot outvote two sharp ones. Reads of a different length than the majority
are left out (they are usually a missed or extra character).

A slot's confidence is the winner's share of the slot's weight times the
surest frame that read it. Frames that agree never pull it below their best
frame (a blurred frame that reads the same character is not evidence
against it), and frames that disagree lower it by their weight, so a
contested character goes to review.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np


@dataclass(frozen=True, slots=True)
class FrameRead:
    text: str
    char_confidences: tuple[float, ...]
    text_confidence: float | None = None  # how sure the reader is of the whole text, when it can say (CTC)

    @property
    def confidence(self) -> float:
        """A read is as trustworthy as the reader finds its whole text, or else as its least certain
        character."""
        if self.text_confidence is not None:
            return self.text_confidence
        return min(self.char_confidences) if self.char_confidences else 0.0

    def held_below(self, threshold: float) -> FrameRead:
        """The same read, no surer than just below ``threshold`` (the largest float32 under it): what a read gets
        that only a person may confirm, however sure the reader was."""
        ceiling = float(np.nextafter(np.float32(threshold), np.float32(0)))
        return FrameRead(self.text, tuple(min(c, ceiling) for c in self.char_confidences), min(self.confidence, ceiling))


class CropReader(Protocol):
    """What reads crops into :class:`FrameRead` s (the recognizer): all that the line-by-line read and the
    colour check need of it."""

    def read(self, crops: Sequence[np.ndarray], second_look_below: float = 0.0) -> list[FrameRead]: ...


@dataclass(frozen=True, slots=True)
class VotedRead:
    text: str
    confidence: float
    char_confidences: tuple[float, ...]
    frames_used: int

    def as_read(self) -> FrameRead:
        """The vote as one read, carrying the vote's confidence."""
        return FrameRead(self.text, self.char_confidences, self.confidence)


def vote(reads: Sequence[FrameRead]) -> VotedRead | None:
    """The confidence-weighted, slot-by-slot majority of ``reads``; None when there is nothing to vote on."""
    usable = [r for r in reads if r.text and len(r.char_confidences) == len(r.text)]
    if not usable:
        return None
    length = Counter(len(r.text) for r in usable).most_common(1)[0][0]
    usable = [r for r in usable if len(r.text) == length]
    chars, confidences, shares = [], [], []
    for slot in range(length):
        weights: dict[str, float] = defaultdict(float)
        surest: dict[str, float] = defaultdict(float)
        for read in usable:
            char, confidence = read.text[slot], read.char_confidences[slot]
            weights[char] += confidence
            surest[char] = max(surest[char], confidence)
        best = max(sorted(weights), key=lambda c: weights[c])
        chars.append(best)
        total = sum(weights.values())
        confidences.append(weights[best] / total * surest[best] if total else 0.0)
        shares.append(weights[best] / total if total else 0.0)
    text = "".join(chars)
    confidence = min(confidences)
    if all(read.text_confidence is not None for read in usable):
        # reads that can say how sure they are of a whole text: the surest frame that read the voted text,
        # times the least share of the vote any of its characters won (disagreeing frames pull it down);
        # a text no single frame read is no surer than the least sure frame
        agreeing = [read.confidence for read in usable if read.text == text]
        confidence = min(shares) * (max(agreeing) if agreeing else min(read.confidence for read in usable))
    return VotedRead(text, confidence, tuple(confidences), len(usable))
