"""Training the plate detector: a tiny run exports a model OnnxDetector loads, real scene folders are read or refused.

Needs the optional ``train`` extra (PyTorch); without it these tests are skipped.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("torch")
pytest.importorskip("onnx")

from baytwin.core.ocr.detector import OnnxDetector  # noqa: E402
from baytwin.sim.detector_training import (  # noqa: E402
    DetectorSettings,
    ScenesProblem,
    load_scene_folders,
    synthetic_frame,
    targets,
    train,
    training_patch,
)

TINY = dict(samples=2, epochs=1, batch=2, patch=64, workers=1, input_size=128)


def _scene_folder(folder: Path) -> Path:
    """One real-looking photo with its plate's corners and an empty plate text, as scripts/real_scenes.py writes."""
    import cv2

    from baytwin.sim.imagery.scenes import render_scene

    scene = render_scene(np.random.default_rng(11), size=(640, 360))
    (folder / "images").mkdir(parents=True)
    cv2.imwrite(str(folder / "images" / "a.jpg"), cv2.cvtColor(scene.image, cv2.COLOR_RGB2BGR))
    corners = {f"{axis}{i}": f"{v:.1f}" for i, point in enumerate(scene.plate.corners, 1) for axis, v in zip("xy", point)}
    with (folder / "labels.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "plate", *corners])
        writer.writeheader()
        writer.writerow({"file": "images/a.jpg", "plate": "", **corners})
    return folder


def test_a_tiny_run_exports_a_detector_onnx_detector_loads(tmp_path: Path) -> None:
    model = tmp_path / "out" / "plate_detector.onnx"
    scenes = _scene_folder(tmp_path / "real" / "scenes")
    figures = train(model, DetectorSettings(**TINY, scenes=(scenes,)))  # type: ignore[arg-type]
    assert figures["real_photos"] == 1 and figures["frames"] >= 3
    config = yaml.safe_load(model.with_suffix(".yaml").read_text())
    assert config["input_size"] == 128 and 0 < config["threshold"] < 1
    assert config["trained_on"]["scene_folders"] == ["real/scenes"]  # no machine's absolute path
    assert model.with_suffix(".pt").stat().st_size > 0 and model.stat().st_size < 5_000_000
    detector = OnnxDetector(model)
    detector.threshold = 1e-6  # an untrained network: every peak, to see boxes come out in frame pixels
    found = detector.detect(synthetic_frame(3)[0])
    assert found and all(0 <= c.box[0] < c.box[2] <= 640 and 0 <= c.box[1] < c.box[3] <= 360 for c in found)


def test_rendered_frames_carry_their_plates_boxes_and_patches_keep_them() -> None:
    image, boxes = synthetic_frame(5)
    assert max(image.shape[:2]) == 640 and boxes.shape[1] == 4
    rng = np.random.default_rng(0)
    patch, moved = training_patch(image, boxes, 64, rng)
    assert patch.shape == (64, 64, 3) and np.all((moved >= 0) & (moved < 64))
    heat, regress, mask = targets(np.array([[10, 20, 50, 30]], np.float32), 64)
    assert heat.shape == (1, 16, 16) and heat.max() == 1.0 and mask.sum() == 1
    assert np.isclose(regress[2].max(), np.log(40 / 4))  # log width in cells at the centre


def test_a_scene_folder_without_labels_or_corners_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ScenesProblem, match="labels.csv: no such file"):
        load_scene_folders([tmp_path])
    (tmp_path / "labels.csv").write_text("file,plate\nimages/a.jpg,AB12CDE\n")
    with pytest.raises(ScenesProblem, match="no row with plate corners") as caught:
        load_scene_folders([tmp_path])
    assert "\n" not in str(caught.value)
