"""One bay in one camera's picture: when to look, and what looking found.

The reader runs only when the bay's ROI moved (motion gate) or a recheck is
due; in between, the last answer stands. While a vehicle pulls in, the last
``frames_per_vehicle`` frames with a plate are kept; when the bay settles
(or at a recheck) they are voted into one read, so the read comes from the
parked car, not from the blurred approach. A vehicle already identified is
read again only when the bay settles after movement: that is when one car
may have left and another taken its place (a swap the occupancy tracker must
see), and reading then costs one vote per movement, not one per frame.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence

import numpy as np

from baytwin.core.ocr.detector import Candidate
from baytwin.core.ocr.pipeline import PlateReader, PlateResult
from baytwin.core.ocr.roi import Roi
from baytwin.live.motion import MotionGate
from baytwin.live.occupancy import Observation

# What counts as "a plate is in the bay": at least this many characters, read with at least this
# confidence. Painted bay lettering and kerb texture read as a few characters at a few per cent.
MIN_PLATE_CHARS = 3
MIN_PRESENCE_CONFIDENCE = 0.25


class BayWatch:
    def __init__(self, bay: str, roi: Sequence[tuple[float, float]], frame_size: tuple[int, int],
                 frames_per_vehicle: int = 3, recheck_s: float = 60.0, reads_per_visit: int = 3,
                 monotonic=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self.bay = bay
        self.roi = Roi(tuple(tuple(p) for p in roi))  # type: ignore[arg-type]
        self.gate = MotionGate(roi, frame_size)
        self.frames_per_vehicle, self.recheck_s, self.reads_per_visit = frames_per_vehicle, recheck_s, reads_per_visit
        self.monotonic = monotonic
        self.present: bool | None = None
        self.looks = 0  # frames actually read (the rest were gated away)
        self._recent: deque[PlateResult] = deque(maxlen=frames_per_vehicle)
        self._reads = 0
        self._was_active = False
        self._last_look = float("-inf")

    def sample(self, frame: np.ndarray, ts: float, reader: PlateReader, identified: bool,
               detections: Callable[[], Sequence[Candidate]] | None = None) -> Observation:
        """Look at one sampled frame; the observation the occupancy tracker needs.

        ``detections`` gives the frame's plate candidates when the camera's bays share one detector
        pass; it is called only if this bay actually looks."""
        active = self.gate.update(frame)
        settled_now = self._was_active and not active
        self._was_active = active
        recheck = self.monotonic() - self._last_look >= self.recheck_s
        if not (active or recheck or settled_now) and self.present is not None:
            return Observation(ts, self.present)
        self._last_look = self.monotonic()
        self.looks += 1
        result = reader.read_frame(frame, self.roi, None if detections is None else detections())
        present = len(result.raw or "") >= MIN_PLATE_CHARS and result.confidence >= MIN_PRESENCE_CONFIDENCE
        if not present:
            self.present = False
            self._recent.clear()
            self._reads = 0
            return Observation(ts, False)
        self.present = True
        self._recent.append(result)
        if identified and settled_now:  # the same car, or another one quietly in its place?
            return Observation(ts, True, self._vote(reader))
        wants_read = not identified and self._reads < self.reads_per_visit
        if wants_read and (settled_now or recheck or not active):
            self._reads += 1
            return Observation(ts, True, self._vote(reader))
        return Observation(ts, True)

    def _vote(self, reader: PlateReader) -> PlateResult:
        crops = [r.crop for r in self._recent if r.crop is not None]
        best = max(self._recent, key=lambda r: r.confidence)
        if len(crops) < 2:
            return best
        voted = reader.read_vehicle_crops(crops)
        return voted if voted.plate else best
