"""A plate the detector's box cut short: the read is checked against a wider view of the frame.

A detector trained on bay cameras sees plates 40-130 px wide at its input. Shown a plate two or
three times that size (a phone photo, a street camera close to a car), it can box a piece of it:
"GT93" of "GT93 MGX". The reader then reads that piece as a plate, sometimes surely enough to be
accepted (0.99 on a street-view frame), and a wrong plate is a fine sent to the wrong person.

So the read of a frame's chosen candidate is checked against the same place seen wider: the
candidate's box grown sideways by :data:`WIDEN` of its height on each side (a plate's characters
run sideways) and a little up and down. Where the wider view reads the same characters with more
before or after them (:func:`goes_on`), however unsure, the plate may go on past the box: the read
is held just below the acceptance threshold (a person confirms it, as with every second look), with
the wider crop as its evidence, and where the wider read is at least :data:`WIDER_SURE` it replaces
the read as the person's suggestion. A wider view that reads other or fewer characters, or the same
with one more in their midst, says nothing: it sees the plate smaller, with car body, a bumper or a
neighbour's edge around it, and reads it less well.

The settings were chosen on rendered bay-camera and street-view frames (``ocr generate --scene
[--viewpoint street]``; figures in docs/ocr.md) and then measured once on real car photos. A hold on a
wider read of any confidence was needed: the two reads cut short that a bay camera's classical detector
let through ("YUH" of "GL52 YUH") were extended by wider reads 0.001 and 0.03 sure.
"""

from __future__ import annotations

import numpy as np

from baytwin.core.ocr.voting import CropReader, FrameRead

#: How far the box is grown on each side, as a share of its height: about two characters of a plate.
WIDEN = 1.2
#: And up and down, for a box that cut the characters' tops or feet.
HEIGHTEN = 0.25
#: A wider read at least this sure replaces the read as the suggestion a person is shown; below it, the
#: read keeps its text (and is still held): an unsure wider read is as often a worse one as a longer one
#: (at 0.05, 5 of 200 degraded bay frames swapped a right suggestion for a wrong one; at 0.5, none).
WIDER_SURE = 0.5


def wider_box(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """``box`` (x1, y1, x2, y2) grown by :data:`WIDEN` and :data:`HEIGHTEN` of its height, clipped to the frame."""
    x1, y1, x2, y2 = box
    h, w = shape[:2]
    height = y2 - y1
    grow_x, grow_y = round(WIDEN * height), round(HEIGHTEN * height)
    return max(0, x1 - grow_x), max(0, y1 - grow_y), min(w, x2 + grow_x), min(h, y2 + grow_y)


def goes_on(read: str, wider: str) -> bool:
    """Whether ``wider`` is ``read`` with characters before or after it (or both): what a box cut short leaves out."""
    return len(wider) > len(read) and read in wider


def read_past_the_box(reader: CropReader, frame: np.ndarray, box: tuple[int, int, int, int], read: FrameRead,
                      crop: np.ndarray, accept_at: float) -> tuple[FrameRead, np.ndarray]:
    """``read`` of ``crop`` (cut from ``box``) as it is; or, where the wider view reads more of the plate, held just
    below ``accept_at`` (replaced by the wider read if that is :data:`WIDER_SURE`), with the wider crop."""
    if not read.text:
        return read, crop
    x1, y1, x2, y2 = wider_box(box, frame.shape)
    if (x1, y1, x2, y2) == tuple(box) or x2 - x1 < 2 or y2 - y1 < 2:
        return read, crop
    wider = np.ascontiguousarray(frame[y1:y2, x1:x2])
    seen = reader.read([wider])[0]
    if not goes_on(read.text, seen.text):
        return read, crop
    return (seen if seen.confidence >= WIDER_SURE else read).held_below(accept_at), wider
