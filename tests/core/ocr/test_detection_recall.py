"""Detection recall: a labelled plate counts as found when a candidate overlaps it (IoU > 0.3); crops are not scenes."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from baytwin.core.ocr.detection_recall import load_scene_labels, measure
from baytwin.core.ocr.detector import Candidate

from .images import write_rgb

COLUMNS = ["file", "plate", "x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4"]


class Fixed:
    """A detector that finds the boxes it was given, whatever the frame."""

    def __init__(self, boxes: list[tuple[int, int, int, int]]) -> None:
        self.boxes = boxes

    def detect(self, frame: np.ndarray) -> list[Candidate]:
        return [Candidate(box, 0.9) for box in self.boxes]


def _folder(tmp_path: Path, rows: list[dict[str, object]], sizes: dict[str, tuple[int, int]]) -> Path:
    for name, (w, h) in sizes.items():
        write_rgb(tmp_path / name, np.full((h, w, 3), 90, np.uint8))
    with (tmp_path / "labels.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return tmp_path


def _row(file: str, x1: float, y1: float, x2: float, y2: float, plate: str = "") -> dict[str, object]:
    return {"file": file, "plate": plate, "x1": x1, "y1": y1, "x2": x2, "y2": y2, "x3": x2, "y3": y2, "x4": x1, "y4": y2}


def test_plates_of_one_photo_are_one_scene_and_recall_counts_each(tmp_path: Path) -> None:
    folder = _folder(tmp_path, [_row("a.png", 100, 300, 200, 330), _row("a.png", 700, 320, 790, 345)],
                     {"a.png": (1280, 720)})
    scenes = load_scene_labels(folder / "labels.csv")
    assert len(scenes) == 1 and len(scenes[0].plates) == 2
    half = measure(folder, scenes, Fixed([(95, 295, 210, 335), (0, 0, 50, 50)]))
    assert half is not None and half["plates"] == 2 and half["found"] == 1 and half["recall"] == 0.5
    assert half["false_per_image"] == 1.0  # the box on nothing
    assert measure(folder, scenes, Fixed([(150, 300, 400, 330)]))["found"] == 0  # IoU 0.2: not found


def test_crops_are_not_measured_and_a_folder_of_crops_gives_no_figure(tmp_path: Path) -> None:
    folder = _folder(tmp_path, [_row("crop.png", 5, 5, 155, 45, "AB12CDE")], {"crop.png": (160, 50)})
    assert measure(folder, load_scene_labels(folder / "labels.csv"), Fixed([(5, 5, 155, 45)])) is None


def test_rendered_frames_count_the_neighbours_plate_as_a_plate(tmp_path: Path) -> None:
    from baytwin.sim.imagery.dataset import generate

    generate(tmp_path, 3, None, {}, True, 7)
    scenes = load_scene_labels(tmp_path / "labels.csv")
    truth = [tuple(int(v) for v in (p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()))
             for s in scenes for p in s.plates]
    figures = measure(tmp_path, scenes, Fixed(truth))  # type: ignore[arg-type]
    assert figures is not None and figures["recall"] == 1.0 and figures["images"] == 3
    assert figures["own_plates"] == 3 and figures["neighbour_plates"] == sum(s.neighbours for s in scenes)
