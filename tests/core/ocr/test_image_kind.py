"""Crop or whole frame: a small plate-shaped image is a crop, a scaled-down frame is still a frame."""

from __future__ import annotations

import numpy as np

from baytwin.core.ocr.image_kind import could_be_crop, guess_kind, labelled_kind
from baytwin.core.plates import load_formats
from baytwin.sim.imagery.plates import as_format, render_plate
from baytwin.sim.imagery.scenes import PlateSpec


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


def _thumbnail(seed: int, size: tuple[int, int]) -> np.ndarray:
    """A bay camera's whole frame of one car, scaled down to a small photo (plate-shaped in size alone)."""
    import cv2

    from baytwin.sim.imagery.scenes import render_scene

    return cv2.resize(render_scene(np.random.default_rng(seed)).image, size, interpolation=cv2.INTER_AREA)


def test_a_small_whole_car_photo_is_a_scene_once_its_plate_is_found_inside_it() -> None:
    from baytwin.core.ocr.detector import ClassicalDetector

    photo = _thumbnail(4, (320, 180))
    assert guess_kind(320, 180) == "crop"  # by size alone it could be a crop ...
    boxes = [c.box for c in ClassicalDetector().detect(photo)]
    assert guess_kind(320, 180, boxes) == "scene"  # ... but its plate is a small part of it


def test_a_crop_stays_a_crop_when_the_detector_also_finds_a_small_line_in_it() -> None:
    # a US plate: its characters fill the crop, the state name above them is a small find
    assert guess_kind(196, 142, [(23, 42, 144, 112), (68, 29, 152, 55)]) == "crop"
    assert guess_kind(196, 142, []) == "crop"
    assert guess_kind(300, 200, [(120, 150, 170, 162)]) == "scene"


def test_a_labelled_set_reads_crops_of_every_world_design_as_crops_and_larger_images_as_photos() -> None:
    from baytwin.sim.imagery.font_pool import held_out_fonts
    from baytwin.sim.imagery.world_plates import DESIGNS, render_world_plate

    rng = np.random.default_rng(8)
    shapes = set()
    for design in DESIGNS:  # square two-line and stacked plates, long one-line plates cut tight
        for _ in range(15):
            h, w = render_world_plate(rng, held_out_fonts(), design=design).image.shape[:2]
            assert labelled_kind(w, h, "auto") == "crop", (design, w, h)
            shapes.add(round(w / h, 1))
    assert min(shapes) < 1.2 < 6.0 < max(shapes)  # beyond the one-line shapes a bay's crop guess knows
    for width, height in ((640, 480), (1280, 720), (1200, 900), (691, 518), (300, 320)):
        assert labelled_kind(width, height, "auto") == "scene", (width, height)
    assert labelled_kind(1280, 720, "crop") == "crop" and labelled_kind(200, 60, "scene") == "scene"
