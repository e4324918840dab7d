"""Crop or whole frame: a small plate-shaped image is a crop, a scaled-down frame is still a frame."""

from __future__ import annotations

import numpy as np

from core.ocr.image_kind import could_be_crop, guess_kind
from core.plates import load_formats
from sim.imagery.plates import as_format, render_plate
from sim.imagery.scenes import PlateSpec


def test_frames_of_every_usual_size_are_scenes_even_scaled_down() -> None:
    for width, height in ((640, 360), (640, 480), (1280, 720), (1920, 1080), (800, 450)):
        assert guess_kind(width, height) == "scene", (width, height)
        assert not could_be_crop(width, height), (width, height)


def test_rendered_crops_of_every_format_are_crops_or_may_be_read_as_one() -> None:
    rng = np.random.default_rng(3)
    for name in load_formats():
        for _ in range(20):
            spec = PlateSpec.draw(as_format(name), rng)
            h, w = render_plate(spec.text, name, rng).image.shape[:2]
            assert could_be_crop(w, h), (name, w, h)
            if h <= 200:
                assert guess_kind(w, h) == "crop", (name, w, h)


def test_shapes_no_plate_has_are_scenes() -> None:
    assert guess_kind(100, 100) == "scene"  # square: no plate with its margin
    assert guess_kind(700, 100) == "scene"  # a strip seven times as wide as high
