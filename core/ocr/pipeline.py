"""The plate reader: frame in, one gated, normalized plate read out.

detect (in the bay's ROI) -> crop -> recognize (a second look at unsure reads) -> vote across a vehicle's frames
-> normalize (format-aware 0/O, 1/I, 8/B, 5/S corrections) -> confidence gate.

Frames stay in memory; only the crop of the chosen plate leaves, and only in
the result, for the caller to keep when an event needs it as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from core.ocr.detector import Candidate, ClassicalDetector, Detector
from core.ocr.gate import ConfidenceGate, Status
from core.ocr.recognizer import Recognizer
from core.ocr.rectify import rectified_crop
from core.ocr.roi import Roi
from core.ocr.voting import FrameRead, vote
from core.plates import normalize


@dataclass(frozen=True)
class PlateResult:
    plate: str | None
    confidence: float
    status: Status
    bbox: tuple[int, int, int, int] | None
    raw: str | None = None  # the recognizer's text before normalization
    crop: np.ndarray | None = field(default=None, repr=False, compare=False)

    def as_json(self) -> dict[str, object]:
        return {"plate": self.plate, "confidence": round(self.confidence, 4), "bbox": list(self.bbox) if self.bbox else None,
                "status": self.status}


UNREADABLE = PlateResult(None, 0.0, "unreadable", None)


class PlateReader:
    def __init__(self, recognizer: Recognizer | None = None, detector: Detector | None = None,
                 gate: ConfidenceGate | None = None, formats: Sequence[str] | None = None) -> None:
        self.recognizer = recognizer or Recognizer()
        self.detector = detector or ClassicalDetector()
        self.gate = gate or ConfidenceGate()
        self.formats = formats

    def recognize(self, crops: Sequence[np.ndarray]) -> list[FrameRead]:
        """The recognizer's reads, with a second look at every read the gate would not accept at once."""
        return self.recognizer.read(list(crops), second_look_below=self.gate.accept_at)

    def read_crops(self, crops: Sequence[np.ndarray]) -> list[PlateResult]:
        """Plate crops (already cut out), one result each."""
        results = []
        for crop, read in zip(crops, self.recognize(crops)):
            h, w = crop.shape[:2]
            results.append(self.finish(read, (0, 0, w, h), crop))
        return results

    def read_vehicle_crops(self, crops: Sequence[np.ndarray]) -> PlateResult:
        """Several crops of one vehicle's plate, voted into one read."""
        if not crops:
            return UNREADABLE
        reads = self.recognize(crops)
        voted = vote(reads)
        if voted is None:
            return PlateResult(None, 0.0, "unreadable", None, None, crops[0])
        best = max(range(len(reads)), key=lambda i: reads[i].confidence)
        h, w = crops[best].shape[:2]
        return self.finish(FrameRead(voted.text, voted.char_confidences), (0, 0, w, h), crops[best])

    def read_frame(self, frame: np.ndarray, roi: Roi | None = None,
                   detected: Sequence[Candidate] | None = None) -> PlateResult:
        """The most confident plate in the frame (within the bay's ROI, if given).

        ``detected``: the frame's candidates, when the caller already ran the detector (a camera
        watching several bays detects once per frame, then reads each bay's ROI)."""
        return self.read_vehicle([frame], roi, None if detected is None else [detected])

    def read_vehicle(self, frames: Sequence[np.ndarray], roi: Roi | None = None,
                     detected: Sequence[Sequence[Candidate]] | None = None) -> PlateResult:
        """One vehicle seen in several frames: the best candidate of each frame, voted into one read."""
        best: list[tuple[FrameRead, tuple[int, int, int, int], np.ndarray]] = []
        for i, frame in enumerate(frames):
            found = self.detector.detect(frame) if detected is None else detected[i]
            candidates = [c for c in found if roi is None or roi.keeps(c.box)]
            if not candidates:
                continue
            crops = [cut_out(frame, c) for c in candidates]
            reads = self.recognizer.read(crops)  # one look picks the plate among the candidates ...
            i = max(range(len(reads)), key=lambda k: (len(reads[k].text) >= 4, reads[k].confidence))
            read = reads[i] if reads[i].confidence >= self.gate.accept_at else self.recognize([crops[i]])[0]
            best.append((read, candidates[i].box, crops[i]))  # ... and only the plate gets a second
        if not best:
            return UNREADABLE
        voted = vote([read for read, _, _ in best])
        if voted is None:
            return UNREADABLE
        _, box, crop = max(best, key=lambda item: item[0].confidence)
        return self.finish(FrameRead(voted.text, voted.char_confidences), box, crop)

    def finish(self, read: FrameRead, box: tuple[int, int, int, int], crop: np.ndarray | None) -> PlateResult:
        """A recognizer read made a result: normalized, gated, with where it came from."""
        if not read.text:
            return PlateResult(None, 0.0, "unreadable", box, read.text, crop)
        normalized = normalize(read.text, self.formats)
        confidence = read.confidence
        status = self.gate.decide(normalized.text, confidence)
        plate = normalized.text if status != "unreadable" else None
        return PlateResult(plate, confidence, status, box, read.text, crop)


def cut_out(frame: np.ndarray, candidate: Candidate) -> np.ndarray:
    """The candidate's plate, upright when the detector found its corners, else its box as it is."""
    if candidate.corners is not None:
        return rectified_crop(frame, candidate.corners)
    x1, y1, x2, y2 = candidate.box
    return frame[y1:y2, x1:x2]
