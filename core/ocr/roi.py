"""Which plate candidates belong to this bay: the camera's region of interest.

A camera over one bay also sees the neighbours. A candidate counts only if the
centre of its box lies inside the bay's ROI polygon (cross-bay rejection).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

Point = tuple[float, float]

#: No camera frame is a million pixels across; a coordinate beyond is a typo, and OpenCV computes in float32.
MAX_COORDINATE = 1_000_000.0


@dataclass(frozen=True)
class Roi:
    polygon: tuple[Point, ...]

    def __post_init__(self) -> None:
        if len(self.polygon) < 3:
            raise ValueError("an ROI polygon needs at least 3 points")
        # NaN makes every point test answer "outside" (and infinity "inside"): no plate would ever be kept
        if not all(math.isfinite(c) and abs(c) <= MAX_COORDINATE for point in self.polygon for c in point):
            raise ValueError(f"ROI coordinates must be finite numbers of pixels within ±{MAX_COORDINATE:,.0f}")

    @property
    def _contour(self) -> np.ndarray:
        return np.asarray(self.polygon, dtype=np.float32).reshape(-1, 1, 2)

    def contains(self, point: Point) -> bool:
        return cv2.pointPolygonTest(self._contour, (float(point[0]), float(point[1])), False) >= 0

    def keeps(self, box: Sequence[float]) -> bool:
        """Whether a candidate box (x1, y1, x2, y2) belongs to this bay."""
        x1, y1, x2, y2 = box
        return self.contains(((x1 + x2) / 2.0, (y1 + y2) / 2.0))
