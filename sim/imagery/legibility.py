"""Whether a degradation left a plate's characters to be read: the yardstick of the severity scale.

Severities only mean something if they mean the same thing for every
degradation. The scale's promise is: up to severity 2 every character is still
there for a person to read, from severity 3 characters start to go. A reader
missing a severity-2 plate is then the reader's fault, and a severity-3 miss may
be the image's.

:func:`characters_lost` checks that promise on a clean crop and its degraded
copy, pixel for pixel, given where the renderer drew each character (a
:class:`~sim.imagery.plates.PlateImage`'s ``glyphs``). It suits the
degradations that leave the plate where it was (not ``bent`` or
``steep_angle``, which move it). A character counts as lost when most of its
ink no longer stands out from the plate around it: washed out by glare,
covered by a bar, smeared into its neighbours.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Ink still counts as ink while it is darker than the plate around it by this share of its clean contrast.
KEPT_CONTRAST = 1 / 6
#: A character is lost once less than this share of its ink is still ink.
KEPT_INK = 0.5


def characters_lost(clean: np.ndarray, degraded: np.ndarray, glyphs: np.ndarray) -> int:
    """How many of the characters drawn in ``glyphs`` (Nx4x2 quads) the degradation took from the RGB crop."""
    before = cv2.cvtColor(clean, cv2.COLOR_RGB2GRAY).astype(np.float32)
    after = cv2.cvtColor(degraded, cv2.COLOR_RGB2GRAY).astype(np.float32)
    lost = 0
    for quad in glyphs:
        window, ink, paper = _ink_and_paper(before, quad)
        was, now = before[window], after[window]
        contrast = float(np.median(was[paper]) - np.median(was[ink]))
        still_ink = (np.median(now[paper]) - now[ink]) > contrast * KEPT_CONTRAST
        lost += still_ink.mean() < KEPT_INK
    return lost


def _ink_and_paper(gray: np.ndarray, quad: np.ndarray) -> tuple[tuple[slice, slice], np.ndarray, np.ndarray]:
    """The character's box as a window of the image, and its ink and bare plate as masks of that window.

    Inside the box, ink is what is darker than halfway between the plate (its
    bright 90th percentile) and the darkest strokes (the 10th).
    """
    corners = np.round(quad).astype(np.int32)
    x, y, w, h = cv2.boundingRect(corners)
    x0, y0 = max(x, 0), max(y, 0)
    window = (slice(y0, min(y + h, gray.shape[0])), slice(x0, min(x + w, gray.shape[1])))
    part = gray[window]
    box = np.zeros(part.shape, np.uint8)
    cv2.fillConvexPoly(box, corners - (x0, y0), 1)
    inside = box.astype(bool)
    paper_level, ink_level = np.percentile(part[inside], [90, 10])
    middle = (paper_level + ink_level) / 2
    return window, inside & (part < middle), inside & (part >= middle)
