"""A read the gate would accept, checked against a grey view that keeps the crop's colour contrast.

The reader sees grey. A character that differs from what it stands on only in hue (a dark blue
digit on a dark blue band, a dark green letter on a green stripe, as regional bands and flags print
them) loses its contrast in ordinary grey, and the reader then reads the plate without it, sure of
what it does see: on plates whose last character stood on such a band, the general reader accepted
the other characters alone (``LG6Y8`` read ``LG6Y`` at 0.98). No confidence can flag a character
the model cannot see, so before a read of a colour crop is accepted, the crop is turned into grey
a second way, by contrast-preserving decolourization (OpenCV's ``decolor``, after Lu, Xu and Jia,
2012), which keeps a colour edge as a grey edge, and read again. Where that view reads a different
text, and gives that text at least even odds (:data:`VIEW_SURE`), the read is held just below the
acceptance threshold: it goes to review with the crop, where a person sees the
colour. A view that reads nothing, or reads something else only faintly (decolourization can wash a
faded or degraded crop out), does not hold a read back: it is no evidence against it.

Only reads the gate would accept are checked, and only colour crops (a grey crop, an infrared
camera's, has no hue to lose), so the cost falls on the few reads a site acts on at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import cv2
import numpy as np

from baytwin.core.ocr.voting import FrameRead

#: How sure the view must be of its other text to hold a read back: even odds. On the calibration
#: crops (world renderer, every font and design; none of the evaluation sets) the one view that
#: disagreed with a wrong accepted read was 0.94 sure of its text, the two that disagreed with right
#: ones 0.23 and 0 (a washed-out view). Independent of the gate's thresholds, so that calibrating a
#: threshold sees the same holds as a site reading at it.
VIEW_SURE = 0.5
#: Channels that differ by no more than this anywhere make a grey crop, whatever its channel count.
GREY_TOLERANCE = 3


class ViewReader(Protocol):
    def read(self, crops: Sequence[np.ndarray], second_look_below: float = 0.0) -> list[FrameRead]: ...


def is_colour(crop: np.ndarray) -> bool:
    """Whether the crop has hue to lose: three channels that are not all the same grey."""
    if crop.ndim != 3 or crop.shape[2] != 3:
        return False
    spread = crop.max(axis=2).astype(np.int16) - crop.min(axis=2).astype(np.int16)
    return bool(spread.max() > GREY_TOLERANCE)


def contrast_preserving_grey(crop: np.ndarray, fit: tuple[int, int]) -> np.ndarray:
    """The RGB crop in grey that keeps colour edges as grey edges, as an RGB image (three equal channels), no
    larger than ``fit`` (width, height): the model's input. The reader squeezes every crop to its input anyway,
    and decolourization's cost grows with the pixels (about 25 ms for a 96-pixel-high crop, 8 ms at 48)."""
    h, w = crop.shape[:2]
    scale = min(fit[0] / w, fit[1] / h)
    if scale < 1:
        crop = cv2.resize(crop, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    grey, _ = cv2.decolor(np.ascontiguousarray(crop[..., ::-1]))  # decolor takes BGR
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)


def hold_colour_disagreements(reader: ViewReader, crops: Sequence[np.ndarray], reads: Sequence[FrameRead],
                              accept_at: float, model_input: tuple[int, int]) -> list[FrameRead]:
    """``reads`` with every read at or above ``accept_at`` of a colour crop held just below it where the
    contrast-preserving grey view reads another text at :data:`VIEW_SURE` or more."""
    checked = [i for i, read in enumerate(reads) if read.text and read.confidence >= accept_at and is_colour(crops[i])]
    if not checked:
        return list(reads)
    views = [contrast_preserving_grey(crops[i], model_input) for i in checked]
    out = list(reads)
    for i, view in zip(checked, reader.read(views)):
        if view.text and view.text != reads[i].text and view.confidence >= VIEW_SURE:
            out[i] = reads[i].held_below(accept_at)
    return out
