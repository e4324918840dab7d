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
    DetectorWeightsProblem,
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


def test_a_run_fine_tunes_from_an_earlier_runs_weights_and_refuses_others_in_one_line(tmp_path: Path) -> None:
    import torch

    first = tmp_path / "first" / "plate_detector.onnx"
    train(first, DetectorSettings(**TINY))  # type: ignore[arg-type]
    second = tmp_path / "second" / "plate_detector.onnx"
    tiny_rate = dict(TINY, learning_rate=1e-9, seed=1)
    train(second, DetectorSettings(**tiny_rate, init=first.with_suffix(".pt")))  # type: ignore[arg-type]
    before, after = torch.load(first.with_suffix(".pt")), torch.load(second.with_suffix(".pt"))
    weights = [key for key in before if before[key].is_floating_point() and "running" not in key]
    assert all(torch.allclose(before[k], after[k], atol=1e-4) for k in weights)  # it started where the first ended
    assert yaml.safe_load(second.with_suffix(".yaml").read_text())["trained_on"]["init"] == "plate_detector.pt"
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not weights")
    with pytest.raises(DetectorWeightsProblem, match="junk.pt: not weights of this detector") as caught:
        train(tmp_path / "third" / "d.onnx", DetectorSettings(**TINY, init=junk))  # type: ignore[arg-type]
    assert "\n" not in str(caught.value) and not (tmp_path / "third").exists()  # refused before any work


def test_street_frames_show_larger_plates_than_bay_frames_and_are_drawn_only_when_asked_for() -> None:
    def widths(share: float) -> list[float]:
        return [float((boxes[:, 2] - boxes[:, 0]).max()) for boxes in
                (synthetic_frame(seed, share)[1] for seed in range(6_000_000, 6_000_030)) if len(boxes)]

    bay, street = widths(0.0), widths(1.0)
    assert np.percentile(street, 80) > 1.4 * np.percentile(bay, 80), (np.percentile(bay, 80), np.percentile(street, 80))
    image, boxes = synthetic_frame(6_000_001)
    same, same_boxes = synthetic_frame(6_000_001, 0.0)
    assert np.array_equal(image, same) and np.array_equal(boxes, same_boxes)
