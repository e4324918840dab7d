"""Finding plate candidates in a camera frame.

The classical detector looks for what a plate is to a camera: a compact band
of strong vertical edges (character strokes) on a light, plate-shaped
rectangle. Vertical gradients are thresholded and closed into blobs with a
wide kernel; blobs whose rotated rectangle has a plate's aspect ratio and size
become candidates, scored by how densely they are filled with edges.

A site that has a better detector brings it as an ONNX file with YOLO-style
output (see ``OnnxDetector``); both give the same ``Candidate`` list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from core.ocr.rectify import refine_quad


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
        edges = np.abs(cv2.Sobel(cv2.GaussianBlur(small, (3, 3), 0), cv2.CV_32F, 1, 0, ksize=3))
        edges = cv2.convertScaleAbs(edges, alpha=255.0 / max(1.0, float(edges.max())))
        _, mask = cv2.threshold(edges, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        kernel_w = max(9, small.shape[1] // 80)
        closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (kernel_w, 3)))
        closed = cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
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


class OnnxDetector:
    """A YOLO-style ONNX detector: input float32 NCHW RGB in [0, 1]; output (1, N, 5+classes) or (1, 5+classes, N)
    rows of (cx, cy, w, h, objectness, class scores...) in input pixels."""

    def __init__(self, model: Path, input_size: int = 640, threshold: float = 0.4, nms: float = 0.45) -> None:
        import onnxruntime as ort

        self.session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.size, self.threshold, self.nms = input_size, threshold, nms

    def detect(self, frame: np.ndarray) -> list[Candidate]:
        h, w = frame.shape[:2]
        scale = self.size / max(h, w)
        resized = cv2.resize(frame, (round(w * scale), round(h * scale)))
        canvas = np.full((self.size, self.size, 3), 114, dtype=np.uint8)
        canvas[: resized.shape[0], : resized.shape[1]] = resized
        blob = canvas.astype(np.float32).transpose(2, 0, 1)[None] / 255.0
        out = np.asarray(self.session.run(None, {self.input: blob})[0])[0]
        if out.shape[0] < out.shape[1]:
            out = out.T
        scores = out[:, 4] * (out[:, 5:].max(axis=1) if out.shape[1] > 5 else 1.0)
        keep = scores >= self.threshold
        boxes = [(float(cx - bw / 2), float(cy - bh / 2), float(bw), float(bh)) for cx, cy, bw, bh in out[keep, :4]]
        chosen = cv2.dnn.NMSBoxes(boxes, scores[keep].tolist(), self.threshold, self.nms)
        found = []
        for i in np.asarray(chosen).reshape(-1):
            x, y, bw, bh = boxes[int(i)]
            box = (int(x / scale), int(y / scale), int((x + bw) / scale), int((y + bh) / scale))
            found.append(Candidate(box, float(scores[keep][int(i)])))
        return found
