"""Only read plates when something changed in a bay: motion gating per region of interest.

Running the reader on every frame of every camera wastes the CPU a site
needs for more cameras. A bay's ROI is compared, small and grey, with the
same ROI a moment ago; when enough of it changed (a car arriving, leaving,
a door opening) the bay is *active* and the reader gets frames until the
ROI has been still for ``settle_frames`` samples.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

WORK_WIDTH = 320  # motion is judged on a frame scaled to this width


class MotionGate:
    def __init__(self, roi: Sequence[tuple[float, float]], frame_size: tuple[int, int], threshold: float = 0.02,
                 pixel_delta: int = 25, settle_frames: int = 5) -> None:
        width, height = frame_size
        self.scale = min(1.0, WORK_WIDTH / width)
        small = (max(1, round(width * self.scale)), max(1, round(height * self.scale)))
        self.mask = np.zeros((small[1], small[0]), np.uint8)
        cv2.fillPoly(self.mask, [np.round(np.asarray(roi, np.float32) * self.scale).astype(np.int32)], 255)
        self.area = max(1, int(np.count_nonzero(self.mask)))
        self.size = small
        self.threshold, self.pixel_delta, self.settle_frames = threshold, pixel_delta, settle_frames
        self._previous: np.ndarray | None = None
        self._still = settle_frames
        self.changed_share = 0.0

    def update(self, frame: np.ndarray) -> bool:
        """Feed a frame (RGB); True while the bay is active (moving, or not yet settled)."""
        gray = cv2.cvtColor(cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
        gray = cv2.GaussianBlur(gray, (5, 5), 0)
        if self._previous is None:
            self._previous = gray
            self._still = 0
            return True
        diff = cv2.absdiff(gray, self._previous)
        self._previous = gray
        changed = np.count_nonzero((diff > self.pixel_delta) & (self.mask > 0))
        self.changed_share = changed / self.area
        if self.changed_share >= self.threshold:
            self._still = 0
        else:
            self._still += 1
        return self._still < self.settle_frames
