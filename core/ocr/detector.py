"""Finding plate candidates in a camera frame.

The classical detector looks for what a plate is to a camera: a compact band
of strong vertical edges (character strokes) on a light, plate-shaped
rectangle. Vertical gradients are thresholded and closed into blobs with a
wide kernel; blobs whose rotated rectangle has a plate's aspect ratio and size
become candidates, scored by how densely they are filled with edges.

A learned detector (``OnnxDetector``) is an ONNX file with YOLO-style output:
the one ``baytwin ocr train-detector`` trains on rendered bay scenes, or a
site's own; all give the same ``Candidate`` list. The bundled learned one is
the default (:func:`chosen_detector`): it finds the plates the classical one
misses in real photographs, at about ten times the cost per frame, which a
camera that detects only on the frames it reads per arrival can afford.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from baytwin.core.ocr.rectify import fitted_quad, refine_quad


@dataclass(frozen=True, slots=True)
class Candidate:
    box: tuple[int, int, int, int]  # x1, y1, x2, y2 in the frame
    score: float
    corners: np.ndarray | None = None  # the plate's quadrilateral (TL TR BR BL), when the detector knows it


class Detector(Protocol):
    def detect(self, frame: np.ndarray) -> list[Candidate]: ...


class ClassicalDetector:
    def __init__(self, min_aspect: float = 1.8, max_aspect: float = 7.0, min_width_px: int = 40,
                 max_candidates: int = 8) -> None:
        self.min_aspect, self.max_aspect = min_aspect, max_aspect
        self.min_width_px, self.max_candidates = min_width_px, max_candidates

    def detect(self, frame: np.ndarray) -> list[Candidate]:
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
        h, w = gray.shape
        scale = 1.0 if w <= 1280 else 1280.0 / w  # work at 720p-ish; plates stay a few dozen pixels high
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
        mask, closed = stroke_masks(small, max(9, small.shape[1] // 80))
        contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        found: list[Candidate] = []
        for contour in contours:
            (cx, cy), (rw, rh), _angle = cv2.minAreaRect(contour)
            long, short = max(rw, rh), min(rw, rh)
            if short < 6 or long < self.min_width_px * scale:
                continue
            aspect = long / short
            if not self.min_aspect <= aspect <= self.max_aspect:
                continue
            x, y, bw, bh = cv2.boundingRect(contour)
            fill = float(mask[y:y + bh, x:x + bw].mean()) / 255.0
            if fill < 0.15:
                continue
            pad_x, pad_y = int(bw * 0.12), int(bh * 0.45)  # the recognizer was trained on loosely framed crops
            box = (max(0, x - pad_x), max(0, y - pad_y), min(small.shape[1], x + bw + pad_x), min(small.shape[0], y + bh + pad_y))
            box = tuple(int(round(v / scale)) for v in box)
            strokes = cv2.boxPoints(((cx, cy), (rw, rh), _angle)) / scale
            corners = refine_quad(gray, box, strokes)  # type: ignore[arg-type]
            found.append(Candidate(box, fill, corners))  # type: ignore[arg-type]
        found.sort(key=lambda c: c.score, reverse=True)
        return found[: self.max_candidates]


def stroke_masks(gray: np.ndarray, kernel_width: int) -> tuple[np.ndarray, np.ndarray]:
    """Where character strokes are (strong vertical edges, Otsu's threshold), and the same closed
    ``kernel_width`` pixels across into bands: a plate's characters become one blob."""
    edges = np.abs(cv2.Sobel(cv2.GaussianBlur(gray, (3, 3), 0), cv2.CV_32F, 1, 0, ksize=3))
    edges = cv2.convertScaleAbs(edges, alpha=255.0 / max(1.0, float(edges.max())))
    _, mask = cv2.threshold(edges, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (kernel_width, 3)))
    return mask, cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))


class DetectorProblem(Exception):
    """A detector model or its config cannot be used; the message says why in one line."""


class DetectorConfig(BaseModel):
    """The small YAML beside a detector model (same name, ``.yaml``): what input it reads and where it cuts.

    A brought YOLO model needs none (640 px, 0.4, NMS 0.45); the bundled detector's training writes one,
    with a description of what it was trained on."""

    model_config = ConfigDict(extra="ignore", frozen=True)  # training notes and descriptions ride along

    input_size: int = Field(640, ge=32, le=4096)
    threshold: float = Field(0.4, gt=0, lt=1)
    nms: float = Field(0.45, gt=0, le=1)


def load_detector_config(model: Path) -> DetectorConfig:
    """The config beside ``model``, or the YOLO defaults when there is none; a broken one is a DetectorProblem."""
    from baytwin.core.config import ConfigError, load_yaml, validate

    path = model.with_suffix(".yaml")
    if not path.is_file():
        return DetectorConfig()
    try:
        return validate(DetectorConfig, load_yaml(path) or {}, str(path))
    except ConfigError as err:
        raise DetectorProblem(str(err)) from None


class OnnxDetector:
    """A YOLO-style ONNX detector: input float32 NCHW RGB in [0, 1], a square of ``input_size`` with the frame
    letterboxed into its top-left corner; output (1, N, 5+classes) or (1, 5+classes, N) rows of
    (cx, cy, w, h, objectness, class scores...) in input pixels.

    The bundled learned detector (``sim/detector_training.py``) is exported in this same form (its heatmap
    peaks as rows with objectness only), so one runtime serves it and a site's own YOLO model. Boxes are
    taken to be tight around the plate; each is refined to the plate's quadrilateral where the plate stands
    out, so the crop is rectified as the classical detector's are."""

    def __init__(self, model: Path, input_size: int | None = None, threshold: float | None = None,
                 nms: float | None = None) -> None:
        import onnxruntime as ort

        self.model = Path(model)
        config = load_detector_config(self.model)
        try:
            self.session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types
            raise DetectorProblem(f"{model}: cannot load the detector ({str(err).splitlines()[0]})") from None
        self.input = self.session.get_inputs()[0].name
        self.size = input_size or config.input_size
        self.threshold = threshold if threshold is not None else config.threshold
        self.nms = nms if nms is not None else config.nms

    def detect(self, frame: np.ndarray, shrink: float = 1.0) -> list[Candidate]:
        """The plates in ``frame``; with ``shrink`` above 1, shown to the network that many times smaller
        (the rest of its input padded): a plate too large for the sizes it learned, close to the camera,
        comes down into them (:meth:`~core.ocr.pipeline.PlateReader.read_vehicle`)."""
        h, w = frame.shape[:2]
        scale = self.size / max(h, w) / max(1.0, shrink)
        resized = cv2.resize(frame, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        if resized.ndim == 2:
            resized = cv2.cvtColor(resized, cv2.COLOR_GRAY2RGB)
        canvas = np.full((self.size, self.size, 3), 114, dtype=np.uint8)
        canvas[: resized.shape[0], : resized.shape[1]] = resized
        blob = canvas.astype(np.float32).transpose(2, 0, 1)[None] / 255.0
        try:
            out = np.asarray(self.session.run(None, {self.input: blob})[0])[0]
        except Exception as err:  # a model that wants another input shape
            raise DetectorProblem(f"{self.model}: cannot run the detector ({str(err).splitlines()[0]})") from None
        if 5 <= out.shape[0] < out.shape[1]:  # (5+classes, N): attributes first
            out = out.T
        scores = out[:, 4] * (out[:, 5:].max(axis=1) if out.shape[1] > 5 else 1.0)
        keep = scores >= self.threshold
        kept_scores = scores[keep]
        boxes = [(float(cx - bw / 2), float(cy - bh / 2), float(bw), float(bh)) for cx, cy, bw, bh in out[keep, :4]]
        chosen = cv2.dnn.NMSBoxes(boxes, kept_scores.tolist(), self.threshold, self.nms) if boxes else []
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
        found = []
        for i in np.asarray(chosen, dtype=np.int64).reshape(-1):
            x, y, bw, bh = boxes[int(i)]
            x1, y1 = max(0, int(x / scale)), max(0, int(y / scale))
            x2, y2 = min(w, int(np.ceil((x + bw) / scale))), min(h, int(np.ceil((y + bh) / scale)))
            if x2 - x1 < 2 or y2 - y1 < 2:
                continue
            box = (x1, y1, x2, y2)
            found.append(Candidate(box, float(kept_scores[int(i)]), plate_corners(gray, box)))
        found.sort(key=lambda c: c.score, reverse=True)
        return found


#: The learned detector the project trains (``sim/detector_training.py``; docs/ocr.md gives its figures).
BUNDLED_DETECTOR = Path(__file__).resolve().parent / "models" / "plate_detector.onnx"
#: The name that chooses the classical detector wherever a detector file may be given.
CLASSICAL = "classical"


@lru_cache(maxsize=1)
def bundled_detector() -> OnnxDetector:
    """The bundled learned detector, one for the whole process: its ONNX session is loaded once."""
    return OnnxDetector(BUNDLED_DETECTOR)


def chosen_detector(choice: str | Path | None) -> Detector:
    """The detector a user named: None for the bundled learned one, ``classical`` for the classical one,
    else the ONNX file at that path (a DetectorProblem if it is not usable)."""
    if choice is None:
        return bundled_detector()
    if str(choice) == CLASSICAL:
        return ClassicalDetector()
    if not Path(choice).is_file():
        raise DetectorProblem(f"{choice}: no such file (a detector is an ONNX file, or {CLASSICAL})")
    return OnnxDetector(Path(choice))


#: A learned box the plate does not stand out in (a white plate on a white car), nor a band of characters in
#: it, is cut out this share of its width wider on each side, and as high as it is: the learned boxes are as
#: often a little narrow as wide (one in ten 13-21 % too narrow on rendered and real frames), and a narrow one
#: cuts an end character off. Chosen on rendered frames (bay, street and bay-camera video; 0.05 against 0.1,
#: and growing the height too, which accepted fewer on clean bay frames); docs/ocr.md gives the figures.
UNREFINED_GROWTH = (0.05, 0.0)


def stroke_band(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray | None:
    """The four corners (in turn around it, frame pixels) of the band of character strokes around
    ``box``'s centre, found as the classical detector finds plates but within the box's neighbourhood:
    its rotated rectangle, or its own four sides where they hold it better (``fitted_quad``); None if no
    stroke blob holds the centre."""
    x1, y1, x2, y2 = box
    h, w = gray.shape[:2]
    bw, bh = x2 - x1, y2 - y1
    ex1, ey1, ex2, ey2 = max(0, x1 - bw // 4), max(0, y1 - bh // 2), min(w, x2 + bw // 4), min(h, y2 + bh // 2)
    region = gray[ey1:ey2, ex1:ex2]
    if region.shape[0] < 8 or region.shape[1] < 16:
        return None
    _, band = stroke_masks(region, max(3, bw // 10) | 1)
    contours, _ = cv2.findContours(band, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    centre = ((x1 + x2) / 2 - ex1, (y1 + y2) / 2 - ey1)
    holding = [c for c in contours if cv2.pointPolygonTest(c, centre, False) >= 0]
    if not holding:
        return None
    blob = max(holding, key=cv2.contourArea)
    rect = cv2.minAreaRect(blob)
    long, short = max(rect[1]), min(rect[1])
    if short < 4 or long < 0.5 * bw or long > 1.5 * bw:
        return None
    return fitted_quad(blob.reshape(-1, 2), cv2.boxPoints(rect)) + np.array([ex1, ey1], np.float32)


def plate_corners(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The plate's quadrilateral for a tight box: refined where the plate stands out, else grown from the
    band of character strokes the classical detector would have found there, else the box a little wider
    (:data:`UNREFINED_GROWTH`, within the frame)."""
    refined = refine_quad(gray, box)
    if refined is None:  # the plate does not stand out from the car: its characters' band still does
        strokes = stroke_band(gray, box)
        if strokes is not None:
            refined = refine_quad(gray, box, strokes)
    if refined is not None:
        return refined
    x1, y1, x2, y2 = box
    grow_x, grow_y = (x2 - x1) * UNREFINED_GROWTH[0], (y2 - y1) * UNREFINED_GROWTH[1]
    h, w = gray.shape[:2]
    x1, x2 = max(0.0, x1 - grow_x), min(float(w), x2 + grow_x)
    y1, y2 = max(0.0, y1 - grow_y), min(float(h), y2 + grow_y)
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float32)
