"""The plate reader: frame in, one gated, normalized plate read out.

detect (in the bay's ROI) -> crop -> recognize (a second look at unsure reads; a wider view where the box may
have cut the plate short) -> vote across a vehicle's frames -> normalize -> confidence gate.

Normalizing fits a read to a plate format (0/O, 1/I, 8/B, 5/S look-alikes) only
where the site declares its formats (``formats``); elsewhere a read is only
sanitized, since the reader reads characters and a guess at the country must
not rewrite them. A correction is the format's opinion, not the camera's
evidence: a read that needed one goes to review, never straight to
acceptance.

Frames stay in memory; only the crop of the chosen plate leaves, and only in
the result, for the caller to keep when an event needs it as evidence.

A frame read without a bay's ROI is never accepted: the most confident plate
in a camera's view is as often the neighbouring bay's car as the one that
matters, and accepting it would charge the wrong driver. Such a read gets at
most ``review``, and says why; ``read_every_plate`` lists every plate in view
for a person to choose from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from baytwin.core.ocr.colour_check import hold_colour_disagreements
from baytwin.core.ocr.cut_short import read_past_the_box
from baytwin.core.ocr.detection_recall import iou
from baytwin.core.ocr.detector import Candidate, Detector, OnnxDetector, bundled_detector
from baytwin.core.ocr.gate import ConfidenceGate, Status
from baytwin.core.ocr.line_split import read_by_lines
from baytwin.core.ocr.model_config import PlateModelConfig
from baytwin.core.ocr.recognizer import Recognizer
from baytwin.core.ocr.rectify import rectified_crop, upright_characters
from baytwin.core.ocr.roi import Roi
from baytwin.core.ocr.voting import FrameRead, vote
from baytwin.core.plates import normalize, sanitize


@dataclass(frozen=True)
class PlateResult:
    plate: str | None
    confidence: float
    status: Status
    bbox: tuple[int, int, int, int] | None
    raw: str | None = None  # the recognizer's text before normalization
    crop: np.ndarray | None = field(default=None, repr=False, compare=False)
    why: str | None = None  # why a read was held back from acceptance, when it was for a reason of its own

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"plate": self.plate, "confidence": round(self.confidence, 4),
                                  "bbox": list(self.bbox) if self.bbox else None, "status": self.status}
        if self.why:
            out["why"] = self.why
        return out


UNREADABLE = PlateResult(None, 0.0, "unreadable", None)
#: A read needs this many characters to count as a plate rather than a stray mark or a sticker.
PLATE_MIN_CHARS = 4
NO_ROI = "no region of interest: every plate in view reported, none accepted"
NO_ROI_ONE = "no region of interest: the most confident plate in view may be another bay's, not accepted"
TOO_SHORT = (f"fewer than {PLATE_MIN_CHARS} characters: in a frame that is as often one line of a two-line plate, "
             "a piece of one or a sticker as a plate of its own")
SEVERAL_PLATES = "more than one plate in view of a photo labelled with one: which is the vehicle's, a person decides"
CORRECTED = "fitted to the site's plate formats by changing {n} character(s): a person confirms"


def default_gate(config: PlateModelConfig) -> ConfidenceGate:
    """The gate a model comes with: its calibrated ``accept_threshold`` if it has one (``baytwin ocr
    calibrate``), else 0.90; reviews from its ``review_threshold``, else 0.50 (or from the accept
    threshold, if that is lower)."""
    fallback = ConfidenceGate()
    accept = config.accept_threshold if config.accept_threshold is not None else fallback.accept_at
    review = config.review_threshold if config.review_threshold is not None else fallback.review_from
    return ConfidenceGate(accept_at=accept, review_from=min(review, accept))


class PlateReader:
    def __init__(self, recognizer: Recognizer | None = None, detector: Detector | None = None,
                 gate: ConfidenceGate | None = None, formats: Sequence[str] | None = None) -> None:
        self.recognizer = recognizer or Recognizer()
        self.detector = detector or bundled_detector()  # the learned one; ClassicalDetector() is the fast one
        self.gate = gate or default_gate(self.recognizer.config)
        self.formats = formats
        # the last frame the detector looked at smaller, and what it found at each of SMALLER_LOOKS: the bays of
        # one camera are read from one frame, and it is looked at smaller once for all of them
        self._smaller_seen: tuple[np.ndarray, list[list[Candidate]]] | None = None

    def identity(self) -> dict[str, object]:
        """What reads: the recognizer (file and hash), the gate's thresholds and the detector."""
        detector = self.detector.model.name if isinstance(self.detector, OnnxDetector) else type(self.detector).__name__
        return {**self.recognizer.identity(), "accept_at": self.gate.accept_at, "review_from": self.gate.review_from,
                "detector": detector}

    def label(self) -> str:
        """The recognizer as a plate read records it: its file's name and SHA-256 prefix."""
        recognizer = self.recognizer.identity()
        return f"{recognizer['model']}#{recognizer['sha256']}"

    def recognize(self, crops: Sequence[np.ndarray]) -> list[FrameRead]:
        """The recognizer's reads, with a second look at every read the gate would not accept at once, and
        every read it would accept checked against a grey view that keeps the crop's colour contrast."""
        reads = self.checked(crops, self.recognizer.read(list(crops), second_look_below=self.gate.accept_at))
        # only reads the gate would not accept are tried line by line, as only they get the second look
        below = min(self.recognizer.config.line_split_below, self.gate.accept_at)
        return read_by_lines(self.recognizer, crops, reads, below, self.gate.accept_at) if below > 0 else reads

    def checked(self, crops: Sequence[np.ndarray], reads: Sequence[FrameRead]) -> list[FrameRead]:
        """``reads`` of ``crops`` with each the gate would accept checked against the crop's colour contrast
        (``core/ocr/colour_check.py``): a read another grey view contradicts is held for review."""
        config = self.recognizer.config
        return hold_colour_disagreements(self.recognizer, crops, reads, self.gate.accept_at,
                                         (config.img_width, config.img_height))

    def read_crops(self, crops: Sequence[np.ndarray]) -> list[PlateResult]:
        """Plate crops (already cut out), one result each; read with their characters' lean taken out, as
        the reader's own cuts are (:func:`cut_out`), and kept as given for evidence."""
        results = []
        for crop, read in zip(crops, self.recognize([upright_characters(c) for c in crops])):
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
        return self.finish(voted.as_read(), (0, 0, w, h), crops[best])

    def read_frame(self, frame: np.ndarray, roi: Roi | None = None,
                   detected: Sequence[Candidate] | None = None) -> PlateResult:
        """The most confident plate in the frame within the bay's ROI; without an ROI, the most confident
        plate in view, never accepted (it may be another bay's).

        ``detected``: the frame's candidates, when the caller already ran the detector (a camera
        watching several bays detects once per frame, then reads each bay's ROI)."""
        return self.read_vehicle([frame], roi, None if detected is None else [detected])

    def read_vehicle(self, frames: Sequence[np.ndarray], roi: Roi | None = None,
                     detected: Sequence[Sequence[Candidate]] | None = None) -> PlateResult:
        """One vehicle seen in several frames: the best candidate of each frame (in the ROI), voted into one
        read. Without an ROI the read is at best ``review``: nothing says the plate is this vehicle's."""
        best: list[tuple[FrameRead, tuple[int, int, int, int], np.ndarray]] = []
        for i, frame in enumerate(frames):
            found = self.detector.detect(frame) if detected is None else detected[i]
            candidates = [c for c in found if roi is None or roi.keeps(c.box)]
            crops = [cut_out(frame, c) for c in candidates]
            reads = self.recognizer.read(crops)  # one look picks the plate among the candidates ...
            if not reads or reads[_best_read(reads)].confidence < self.gate.accept_at:
                candidates, crops, reads = self._smaller_look(frame, roi, candidates, crops, reads)  # ... or more
            if not candidates:
                continue
            i = _best_read(reads)
            if reads[i].confidence >= self.gate.accept_at:
                read = self.checked([crops[i]], [reads[i]])[0]
            else:
                read = self.recognize([crops[i]])[0]
            read, crop = read_past_the_box(self.recognizer, frame, candidates[i].box, read, crops[i], self.gate.accept_at)
            best.append((read, candidates[i].box, crop))  # ... and only the plate gets a second
        if not best:
            return UNREADABLE
        voted = vote([read for read, _, _ in best])
        if voted is None:
            return UNREADABLE
        _, box, crop = max(best, key=lambda item: item[0].confidence)
        result = self.finish(voted.as_read(), box, crop)
        if roi is None:
            return held_back(result, NO_ROI_ONE)
        return held_back(result, TOO_SHORT) if result.plate and len(result.plate) < PLATE_MIN_CHARS else result

    def _smaller_look(self, frame: np.ndarray, roi: Roi | None, candidates: list[Candidate], crops: list[np.ndarray],
                      reads: list[FrameRead]) -> tuple[list[Candidate], list[np.ndarray], list[FrameRead]]:
        """The candidates, their crops and reads, with those the detector finds in the frame shown
        :data:`SMALLER_LOOKS` times smaller, read once, unless one is a box already read (:data:`SAME_BOX`).

        A detector learns the plate sizes it was trained on: a plate close to the camera (a street camera, a
        phone) can be too large, and it boxes a line of the plate (the state name above the characters) or
        nothing. Seen smaller, it comes down into those sizes. Only a frame with nothing found, or whose best
        read the gate would not accept, pays for the second detection, and once for all the bays read from it
        (as the first detection runs once per frame: ``live/runner.py``)."""
        if not isinstance(self.detector, OnnxDetector):  # the classical detector has no learned sizes
            return candidates, crops, reads
        seen = self._smaller_seen
        if seen is None or seen[0] is not frame:
            detector = self.detector
            seen = (frame, [detector.detect(frame, shrink=shrink) for shrink in SMALLER_LOOKS])
            self._smaller_seen = seen
        new: list[Candidate] = []
        for found in seen[1]:
            new += [c for c in found
                    if (roi is None or roi.keeps(c.box)) and all(iou(c.box, old.box) < SAME_BOX for old in candidates + new)]
        if not new:
            return candidates, crops, reads
        new_crops = [cut_out(frame, c) for c in new]
        return candidates + new, crops + new_crops, list(reads) + self.recognizer.read(new_crops)

    def read_photo(self, photo: np.ndarray, detected: Sequence[Candidate] | None = None) -> PlateResult:
        """A photograph of one vehicle (a labelled data set's whole-car photo, not a bay camera's frame): its
        plate, read as a camera whose ROI is the whole image reads it, and accepted only when no other plate
        reads in view. A car parked behind it, or a plate on a poster, is as likely the most confident."""
        found = list(self.detector.detect(photo) if detected is None else detected)
        h, w = photo.shape[:2]
        result = self.read_frame(photo, Roi(((0, 0), (w, 0), (w, h), (0, h))), found)
        if result.status != "accepted":
            return result
        others = [p for p in self.read_every_plate(photo, found) if p.plate != result.plate]
        return held_back(result, SEVERAL_PLATES) if others else result

    def read_every_plate(self, frame: np.ndarray, detected: Sequence[Candidate] | None = None) -> list[PlateResult]:
        """Every plate in a frame read without an ROI, left to right, none accepted (at best ``review``).

        Which of several plates is the vehicle's is a question of where it stands, not of how confidently
        it reads; without an ROI there is no answer, so a person gets them all. Candidates that do not
        read as a plate (too few characters, or below the review floor) are left out."""
        found = list(self.detector.detect(frame) if detected is None else detected)
        if not found:
            return []
        crops = [cut_out(frame, c) for c in found]
        best: dict[str, PlateResult] = {}  # one entry per plate text: a plate found twice is one plate
        for candidate, crop, read in zip(found, crops, self.recognize(crops)):
            read, crop = read_past_the_box(self.recognizer, frame, candidate.box, read, crop, self.gate.accept_at)
            if len(read.text) < PLATE_MIN_CHARS:
                continue
            result = self.finish(read, candidate.box, crop)
            if result.plate is None:
                continue
            if result.plate not in best or result.confidence > best[result.plate].confidence:
                best[result.plate] = held_back(result, NO_ROI)
        return sorted(best.values(), key=lambda r: (r.bbox or (0, 0, 0, 0))[:2])

    def finish(self, read: FrameRead, box: tuple[int, int, int, int], crop: np.ndarray | None) -> PlateResult:
        """A recognizer read made a result: normalized, gated, with where it came from."""
        if not read.text:
            return PlateResult(None, 0.0, "unreadable", box, read.text, crop)
        if self.formats is None:
            text, corrections = sanitize(read.text), 0
        else:
            normalized = normalize(read.text, self.formats)
            text, corrections = normalized.text, normalized.corrections
        confidence = read.confidence
        status = self.gate.decide(text, confidence)
        plate = text if status != "unreadable" else None
        result = PlateResult(plate, confidence, status, box, read.text, crop)
        return held_back(result, CORRECTED.format(n=corrections)) if corrections else result


def held_back(result: PlateResult, why: str) -> PlateResult:
    """A read that may not be acted on at once: ``accepted`` becomes ``review``, and the reason is kept."""
    if result.plate is None:
        return result
    return replace(result, status="review" if result.status == "accepted" else result.status, why=why)


def _best_read(reads: Sequence[FrameRead]) -> int:
    """Which of a frame's candidates' reads is its plate: the most confident that is long enough to be one."""
    return max(range(len(reads)), key=lambda k: (len(reads[k].text) >= PLATE_MIN_CHARS, reads[k].confidence))


#: How many times smaller the frame is shown to the detector for a second look (:meth:`PlateReader._smaller_look`):
#: chosen on rendered street views and bay frames (``--seed 7001`` and ``7002``; docs/ocr.md).
SMALLER_LOOKS: tuple[float, ...] = (3.0,)
#: A smaller look's candidate overlapping one already read by this much (IoU) is the same box found again, and is
#: not read twice. One that overlaps less is read: it may box the whole plate where the first look boxed part of it
#: (at 0.5 rather than 0.9 the tune sets read or accepted one frame fewer each; street views end to end 76 % against 78 %).
SAME_BOX = 0.9


def cut_out(frame: np.ndarray, candidate: Candidate) -> np.ndarray:
    """The candidate's plate, warped upright when the detector found its corners, else its box as it is; its
    characters' lean taken out either way (:func:`~core.ocr.rectify.upright_characters`)."""
    if candidate.corners is not None:
        return upright_characters(rectified_crop(frame, candidate.corners))
    x1, y1, x2, y2 = candidate.box
    return upright_characters(frame[y1:y2, x1:x2])
