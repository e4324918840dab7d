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


def test_a_box_the_plate_does_not_stand_out_in_is_cut_a_little_wider_never_past_the_frame() -> None:
    from baytwin.core.ocr.detector import UNREFINED_GROWTH, plate_corners

    flat = np.full((360, 640), 120, np.uint8)  # nothing plate-shaped to refine the box to
    corners = plate_corners(flat, (200, 100, 300, 130))
    grow = 100 * UNREFINED_GROWTH[0]
    assert grow > 0
    np.testing.assert_allclose(corners, [[200 - grow, 100], [300 + grow, 100], [300 + grow, 130], [200 - grow, 130]], atol=1e-3)
    at_edge = plate_corners(flat, (0, 0, 100, 30))
    assert at_edge.min() == 0 and at_edge[:, 0].max() == pytest.approx(100 + grow, abs=1e-3)


def test_the_bundled_learned_detector_is_the_default_and_classical_is_one_word_away(tmp_path: Path) -> None:
    from baytwin.core.ocr.detector import BUNDLED_DETECTOR, ClassicalDetector, chosen_detector
    from baytwin.core.ocr.pipeline import PlateReader

    default = chosen_detector(None)
    assert isinstance(default, OnnxDetector) and default.model == BUNDLED_DETECTOR
    assert chosen_detector(None) is default and PlateReader().detector is default  # loaded once
    assert isinstance(chosen_detector("classical"), ClassicalDetector)
    with pytest.raises(DetectorProblem, match=r"gone\.onnx: no such file .*classical"):
        chosen_detector(tmp_path / "gone.onnx")


def test_a_narrow_box_on_a_plate_as_light_as_its_car_is_grown_to_the_band_of_characters() -> None:
    import cv2

    from baytwin.core.ocr.detector import plate_corners

    frame = np.full((360, 640), 215, np.uint8)  # a white car
    cv2.rectangle(frame, (200, 150), (420, 200), 222, -1)  # its white plate: nothing stands out by brightness
    cv2.putText(frame, "AB12 CDE", (212, 189), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 20, 3)
    text_left, text_right = 212, 212 + cv2.getTextSize("AB12 CDE", cv2.FONT_HERSHEY_SIMPLEX, 1.1, 3)[0][0]
    corners = plate_corners(frame, (230, 160, 380, 192))  # the learned box cuts off both end characters
    assert corners[:, 0].min() <= text_left and corners[:, 0].max() >= text_right
    assert corners[:, 1].min() >= 140 and corners[:, 1].max() <= 210  # and stays on the plate's row
