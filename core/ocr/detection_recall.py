"""How many of the labelled plates in whole frames a detector finds: detection recall.

A plate the detector misses can never be read, and no recognizer figure shows
it: crops are cut from the labels, frames are read through whatever the
detector found. So ``ocr eval`` also measures the detector alone, on every
labelled image that is a scene (a frame with its bay's ROI, or a photo in which
the labelled plate is a small part): a plate counts as found when a candidate
overlaps its box with an IoU above 0.3. A neighbouring bay's plate in view
(``neighbour_corners``) is a plate too: the ROI, not the detector, decides
whose it is, so it counts in the recall (and is also given apart).

Labels are the corners ``x1,y1 .. x4,y4`` of ``labels.csv`` (as ``ocr
generate --scene`` and ``scripts/real_plates.py`` write them); the plate text
is not needed, so folders of real photos with plate boxes only are measured
too. Rows of one file are one image with several plates.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from baytwin.core.csv_rows import read_csv_rows
from baytwin.core.ocr.detector import Candidate, Detector
from baytwin.core.ocr.image_file import load_rgb
from baytwin.core.ocr.image_kind import guess_kind

#: A candidate finds a plate when their boxes overlap by more than this (intersection over union).
IOU_FOUND = 0.3
#: In an image whose labelled plate covers more than this share of its area, the plate is the image: a crop.
CROP_COVER = 0.25
CORNER_COLUMNS = ("x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")
Progress = Callable[[int, int], None]


class SceneLabelsProblem(ValueError):
    """A labels.csv cannot give plate corners; the message names the file and row."""


@dataclass(frozen=True, slots=True)
class LabelledScene:
    file: str  # relative to the labels file's folder
    plates: tuple[np.ndarray, ...]  # each float32 4x2 corners (TL TR BR BL) of a plate in the image
    neighbours: int  # how many of ``plates`` (the last ones) are a neighbouring bay's
    has_roi: bool  # a bay camera's frame, labelled with its bay's ROI


def load_scene_labels(labels: Path) -> list[LabelledScene]:
    """Every image of a labels.csv with plate corners, its rows of one file merged; rows without corners
    are left out (a crop folder has none to measure). A corner that is not a number names its row."""
    columns, rows = read_csv_rows(labels, lambda reason: SceneLabelsProblem(f"{labels}: {reason}"),
                                  "no such labels file")
    if "file" not in columns or not set(CORNER_COLUMNS) <= set(columns):
        return []
    plates: dict[str, list[np.ndarray]] = {}
    neighbours: dict[str, list[np.ndarray]] = {}
    with_roi: set[str] = set()
    for number, row in enumerate(rows, start=2):
        file = (row.get("file") or "").strip()
        values = [(row.get(c) or "").strip() for c in CORNER_COLUMNS]
        if not file or not all(values):
            continue
        try:
            corners = np.array([float(v) for v in values], np.float32).reshape(4, 2)
        except ValueError:
            raise SceneLabelsProblem(f"{labels}: row {number}: plate corners x1..y4 must be numbers") from None
        if not np.all(np.isfinite(corners)):
            raise SceneLabelsProblem(f"{labels}: row {number}: plate corners x1..y4 must be finite")
        plates.setdefault(file, []).append(corners)
        if (row.get("roi") or "").strip():
            with_roi.add(file)
        other = (row.get("neighbour_corners") or "").strip()
        if other:
            try:
                theirs = np.array(json.loads(other), np.float32).reshape(4, 2)
            except (ValueError, TypeError):
                raise SceneLabelsProblem(f"{labels}: row {number}, column 'neighbour_corners': "
                                         "not a JSON list of 4 [x, y] points") from None
            neighbours.setdefault(file, []).append(theirs)
    return [LabelledScene(file, tuple(own + neighbours.get(file, [])), len(neighbours.get(file, [])), file in with_roi)
            for file, own in plates.items()]


def box_of(corners: np.ndarray) -> tuple[float, float, float, float]:
    """The axis-aligned box (x1, y1, x2, y2) around a quadrilateral."""
    xs, ys = corners[:, 0], corners[:, 1]
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two boxes (x1, y1, x2, y2)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def candidate_box(candidate: Candidate) -> tuple[float, float, float, float]:
    """Where a candidate says the plate is: around its corners when it found them, else its box (which the
    classical detector pads for the recognizer)."""
    if candidate.corners is not None:
        return box_of(np.asarray(candidate.corners, np.float32))
    return tuple(float(v) for v in candidate.box)  # type: ignore[return-value]


def found(plate: np.ndarray, candidates: Sequence[Candidate], threshold: float = IOU_FOUND) -> bool:
    truth = box_of(plate)
    return any(iou(truth, candidate_box(c)) > threshold for c in candidates)


def is_scene(scene: LabelledScene, width: int, height: int) -> bool:
    """Whether the image is a whole frame to detect in, not a plate crop (whose corners fill it)."""
    if scene.has_roi:
        return True
    if guess_kind(width, height) == "crop":
        return False
    x1, y1, x2, y2 = box_of(scene.plates[0])
    return (x2 - x1) * (y2 - y1) <= CROP_COVER * width * height


def measure(folder: Path, scenes: Sequence[LabelledScene], detector: Detector,
            progress: Progress | None = None) -> dict[str, object] | None:
    """Detection recall of ``detector`` on the scenes under ``folder``; None when none of them is a scene.

    ``false_per_image`` counts candidates that overlap no labelled plate: not all are wrong (an unlabelled
    plate in view is a plate), but a detector that finds plates everywhere hands the recognizer work."""
    plates = own = neighbours = images = 0
    hit = own_hit = neighbour_hit = extra = 0
    seconds: list[float] = []
    for done, scene in enumerate(scenes, 1):
        pixels = load_rgb(folder / scene.file)
        if progress:
            progress(done, len(scenes))
        if isinstance(pixels, str):
            continue
        height, width = pixels.shape[:2]
        if not is_scene(scene, width, height):
            continue
        began = time.perf_counter()
        candidates = detector.detect(pixels)
        seconds.append(time.perf_counter() - began)
        images += 1
        n_own = len(scene.plates) - scene.neighbours
        for i, plate in enumerate(scene.plates):
            ok = found(plate, candidates)
            plates += 1
            hit += ok
            if i < n_own:
                own, own_hit = own + 1, own_hit + ok
            else:
                neighbours, neighbour_hit = neighbours + 1, neighbour_hit + ok
        truths = [box_of(p) for p in scene.plates]
        extra += sum(all(iou(t, candidate_box(c)) <= IOU_FOUND for t in truths) for c in candidates)
    if not images:
        return None
    latency = np.array(seconds) * 1000.0
    return {
        "iou_threshold": IOU_FOUND,
        "images": images,
        "plates": plates,
        "found": hit,
        "recall": round(hit / plates, 4),
        "own_plates": own,
        "own_recall": round(own_hit / own, 4) if own else None,
        "neighbour_plates": neighbours,
        "neighbour_recall": round(neighbour_hit / neighbours, 4) if neighbours else None,
        "false_per_image": round(extra / images, 3),
        "latency_ms_p50": round(float(np.percentile(latency, 50)), 2),
    }
