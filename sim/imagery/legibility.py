"""Whether a degradation left a plate's characters to be read: the yardstick of the severity scale.

Severities only mean something if they mean the same thing for every
degradation. The scale's promise is: up to severity 2 every character is still
there for a person to read, from severity 3 characters start to go. A reader
missing a severity-2 plate is then the reader's fault, and a severity-3 miss may
be the image's.

:func:`characters_lost` checks that promise on a clean crop and its degraded
copy, pixel for pixel, so it suits the degradations that leave the plate where
it was (not ``bent`` or ``steep_angle``, which move it). A character counts as
lost when most of its ink no longer stands out from the plate around it: washed
out by glare, covered by a bar, smeared into its neighbours.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Ink still counts as ink while it is darker than the plate around it by this share of its clean contrast.
KEPT_CONTRAST = 1 / 6
#: A character is lost once less than this share of its ink is still ink.
KEPT_INK = 0.5


def characters_lost(clean: np.ndarray, degraded: np.ndarray, corners: np.ndarray) -> tuple[int, int]:
    """(characters lost, characters found) on a dark-on-light plate at ``corners`` in both RGB images."""
    before = cv2.cvtColor(clean, cv2.COLOR_RGB2GRAY).astype(np.float32)
    after = cv2.cvtColor(degraded, cv2.COLOR_RGB2GRAY).astype(np.float32)
    glyphs = _glyphs(before, corners)
    lost = 0
    for ink, paper in glyphs:
        contrast = float(np.median(before[paper]) - np.median(before[ink]))
        still_ink = (np.median(after[paper]) - after[ink]) > contrast * KEPT_CONTRAST
        if still_ink.mean() < KEPT_INK:
            lost += 1
    return lost, len(glyphs)


def _glyphs(gray: np.ndarray, corners: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each character's ink and the bare plate in its box, as masks: tall dark blobs on the plate.

    The plate's own paper is its bright 90th percentile; ink is well below it.
    Blobs shorter than 40 % of the plate (bands, stickers, slogans) or wider
    than tall (dashes, frames) are not characters.
    """
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) + 2
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) - 2
    x0, y0 = max(x0, 0), max(y0, 0)
    region = gray[y0:y1, x0:x1]
    if region.size == 0:
        return []
    ink = (region < np.percentile(region, 90) - 50).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink)
    glyphs = []
    for label in range(1, count):
        x, y, w, h, area = stats[label]
        if h < 0.4 * region.shape[0] or area < 20 or w > 1.5 * h:
            continue
        ink_mask = np.zeros(gray.shape, bool)
        ink_mask[y0:y1, x0:x1] = labels == label
        paper = np.zeros(gray.shape, bool)
        paper[y0 + y : y0 + y + h, x0 + x : x0 + x + w] = True
        paper &= ~ink_mask
        if paper.sum() >= 5:
            glyphs.append((ink_mask, paper))
    return glyphs
