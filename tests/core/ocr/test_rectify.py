"""Refining a detector's box to the plate's own corners, and cutting the plate out upright."""

from __future__ import annotations

import cv2
import numpy as np

from baytwin.core.ocr.detector import ClassicalDetector
from baytwin.core.ocr.rectify import order_corners, rectified_crop
from baytwin.core.ocr.roi import Roi
from baytwin.sim.imagery.scenes import render_scene


def test_corners_are_ordered_whatever_order_they_come_in() -> None:
    quad = np.float32([[10, 10], [110, 14], [108, 44], [8, 40]])
    for shuffle in ([2, 0, 3, 1], [3, 2, 1, 0], [1, 3, 0, 2]):
        assert np.array_equal(order_corners(quad[shuffle]), quad)


def test_a_tilted_plate_comes_out_upright_with_a_margin() -> None:
    frame = np.zeros((200, 300, 3), np.uint8)
    quad = np.float32([[60, 80], [220, 60], [224, 110], [64, 130]])  # a white plate, tilted about 7 degrees
    cv2.fillConvexPoly(frame, quad.astype(np.int32), (255, 255, 255))
    crop = rectified_crop(frame, quad, margin=0.2)
    h, w = crop.shape[:2]
    assert 2.5 < w / h < 3.5
    gray = crop[..., 0]
    inner = gray[int(h * 0.3):int(h * 0.7), int(w * 0.15):int(w * 0.85)]
    assert inner.min() > 200  # the middle is all plate
    assert gray[:2].max() < 60 and gray[-2:].max() < 60  # the margin is the dark surroundings, straight


def test_detected_corners_sit_on_the_true_plate() -> None:
    detector = ClassicalDetector()
    close = total = 0
    for seed in range(300, 330):
        scene = render_scene(np.random.default_rng(seed))
        roi = Roi(tuple(map(tuple, scene.roi)))
        truth = scene.plate.corners
        height = float(np.linalg.norm(truth[3] - truth[0]))
        errors = [np.abs(c.corners - truth).max() for c in detector.detect(scene.image)
                  if roi.keeps(c.box) and c.corners is not None]
        total += 1
        close += bool(errors) and min(errors) <= 0.5 * height
    assert close >= 0.7 * total
