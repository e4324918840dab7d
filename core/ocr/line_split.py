"""A two-line plate read one line at a time, when reading it whole left the reader unsure.

The recognizer sees a crop squeezed to one fixed input (160x48 for the general reader). A
two-line plate (a European square plate, a motorcycle's, a US plate with a small prefix above
the number) gives each of its lines half that height or less, and the small top line is what
it loses: on the held-out-font two-line plates most wrong reads were the top line dropped.
Cut at the right height, each line gets the whole input and reads as a one-line plate.

Where to cut is not known, so every cut in :data:`CUT_AT` is tried and the pair the reader is
surest of (the product of the two reads' confidences) is taken, only when it beats the whole
read by :data:`MUST_BEAT` times: a one-line plate cut in two reads as two unsure halves and keeps
its whole read; a crop three or more times as wide as tall is not cut at all. Chosen on the
calibration crops (world renderer, every font and design; none of the evaluation sets): reads below
0.2 are the only ones a cut ever improved, at four times no right whole read was replaced by a wrong
one, and leaving the wide crops alone lost none of the gain.

A read made this way is never accepted at once (it stays below the gate's threshold, as the
second look's reads do): it rescues a read from "unreadable" to "review", where a person sees
the crop, and cannot make the gate more willing than the whole read made it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from baytwin.core.ocr.voting import CropReader, FrameRead

#: Heights (share of the crop's) at which a two-line plate is cut into its lines.
CUT_AT = (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70)
#: Each line's crop reaches this share of the crop's height past the cut, so a cut that
#: grazes a character does not lose it.
OVERLAP = 0.03
#: How many times surer than the whole read the pair of line reads must be to replace it.
MUST_BEAT = 4.0
#: A crop this many times as wide as it is tall holds one line of characters: it is not cut.
ONE_LINE_ASPECT = 3.0


def line_crops(crop: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(top, bottom) crops for each cut height; empty for a crop too small to cut or too wide to hold two lines."""
    h, w = crop.shape[:2]
    if h < 8 or w >= ONE_LINE_ASPECT * h:
        return []
    overlap = max(1, round(h * OVERLAP))
    pairs = []
    for share in CUT_AT:
        cut = int(h * share)
        pairs.append((crop[:cut + overlap], crop[cut - overlap:]))
    return pairs


def read_by_lines(reader: CropReader, crops: Sequence[np.ndarray], reads: Sequence[FrameRead],
                  below: float, stays_below: float) -> list[FrameRead]:
    """``reads`` with each one less sure than ``below`` replaced by its best line-by-line read,
    where that is :data:`MUST_BEAT` times surer; a replacement's confidence stays below ``stays_below``."""
    unsure = [i for i, read in enumerate(reads) if read.confidence < below]
    pairs = {i: line_crops(crops[i]) for i in unsure}
    parts = [piece for i in unsure for pair in pairs[i] for piece in pair]
    if not parts:
        return list(reads)
    line_reads = iter(reader.read(parts))
    out = list(reads)
    for i in unsure:
        best: FrameRead | None = None
        for _ in pairs[i]:
            top, bottom = next(line_reads), next(line_reads)
            joined = _joined(top, bottom)
            if joined.text and (best is None or joined.confidence > best.confidence):
                best = joined
        if best is not None and best.confidence > MUST_BEAT * reads[i].confidence:
            out[i] = best.held_below(stays_below)
    return out


def _joined(top: FrameRead, bottom: FrameRead) -> FrameRead:
    """The two lines as one read, top line first; as sure as both lines together."""
    return FrameRead(top.text + bottom.text, top.char_confidences + bottom.char_confidences,
                     top.confidence * bottom.confidence)
