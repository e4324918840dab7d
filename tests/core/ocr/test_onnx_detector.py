"""A learned detector in ONNX: YOLO-style rows in, candidates in frame pixels out, its .yaml respected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from baytwin.core.ocr.detector import DetectorProblem, OnnxDetector

from .images import write_yolo_detector

pytest.importorskip("onnx")


def test_rows_in_input_pixels_become_boxes_in_the_frame_best_first(tmp_path: Path) -> None:
    rows = np.array([[320, 200, 80, 20, 0.9], [322, 201, 78, 20, 0.8],  # one plate found twice: NMS keeps one
                     [100, 100, 60, 16, 0.5], [500, 300, 60, 16, 0.1]], np.float32)  # the last is below threshold
    detector = OnnxDetector(write_yolo_detector(tmp_path / "yolo.onnx", rows))
    frame = np.full((720, 1280, 3), 120, np.uint8)  # scaled by 0.5 into the 640 square
    found = detector.detect(frame)
    assert [round(c.score, 2) for c in found] == [0.9, 0.5]
    assert found[0].box == (560, 380, 720, 420)
    assert found[0].corners is not None and found[0].corners.shape == (4, 2)


def test_the_config_beside_the_model_sets_input_size_and_threshold(tmp_path: Path) -> None:
    rows = np.array([[160, 100, 40, 10, 0.2]], np.float32)
    model = write_yolo_detector(tmp_path / "small.onnx", rows, input_size=320, config="input_size: 320\nthreshold: 0.15\n")
    found = OnnxDetector(model).detect(np.full((720, 1280, 3), 120, np.uint8))
    assert len(found) == 1 and found[0].box == (560, 380, 720, 420)  # 320 px input: the frame at a quarter


def test_a_broken_config_or_model_is_one_line(tmp_path: Path) -> None:
    model = write_yolo_detector(tmp_path / "d.onnx", np.zeros((1, 5), np.float32), config="threshold: 3\n")
    with pytest.raises(DetectorProblem, match=r"d\.yaml: threshold") as caught:
        OnnxDetector(model)
    assert "\n" not in str(caught.value)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(DetectorProblem, match="cannot load the detector"):
        OnnxDetector(broken)
