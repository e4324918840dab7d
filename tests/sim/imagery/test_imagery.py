"""Synthetic plate imagery: plate styles, bay scenes, degradations and labelled data sets."""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from baytwin.core.plates import load_formats
from baytwin.sim.imagery import plates as plate_module
from baytwin.sim.imagery.dataset import generate, label_columns
from baytwin.sim.imagery.degrade import REGISTRY, apply_degradations, degrade
from baytwin.sim.imagery.plates import (
    FONT_DIR,
    FONT_FILES,
    PlateImage,
    aspect_ratio,
    random_plate_text,
    render_plate,
    render_plate_face,
    styles_for,
)
from baytwin.sim.imagery.scenes import render_scene

FORMATS = load_formats()
STYLE_CASES = [(name, style) for name in FORMATS for style in styles_for(name)]


def _crop(seed: int = 11, fmt: str = "uk", style: str = "uk_rear") -> PlateImage:
    rng = np.random.default_rng(seed)
    return render_plate(random_plate_text(fmt, rng), fmt, rng, style, char_height_px=48, jitter=False)


CROP = _crop()


# --------------------------------------------------------------------------
# Plates
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "style"), STYLE_CASES)
def test_each_style_renders_at_its_aspect_ratio(fmt: str, style: str) -> None:
    for seed in range(3):
        rng = np.random.default_rng(seed)
        text = random_plate_text(fmt, rng)
        face = render_plate_face(text, fmt, rng, style, px_per_mm=0.5)
        h, w = face.rgba.shape[:2]
        assert w / h == pytest.approx(aspect_ratio(style), rel=0.02)
        crop = render_plate(text, fmt, rng, style, jitter=False)
        assert crop.image.dtype == np.uint8 and crop.image.shape[2] == 3
        (x0, y0), (x1, _), (_, y2) = crop.corners[0], crop.corners[1], crop.corners[2]
        assert (x1 - x0) / (y2 - y0) == pytest.approx(aspect_ratio(style), rel=0.02)
        assert crop.corners.min() >= 0
        assert (crop.corners <= [crop.image.shape[1], crop.image.shape[0]]).all()
        assert FORMATS[fmt].matches(crop.text) and crop.style == style


def test_expected_aspect_ratios() -> None:
    assert aspect_ratio("uk_front") == pytest.approx(520 / 111)
    assert aspect_ratio("eu") == pytest.approx(520 / 110)
    assert aspect_ratio("us") == pytest.approx(305 / 152)


def test_a_plate_not_of_its_format_is_refused() -> None:
    with pytest.raises(ValueError):
        render_plate("AB123CD", "uk", np.random.default_rng(0))


def test_fonts_come_only_from_the_package_folder() -> None:
    files = [FONT_DIR / name for name in FONT_FILES.values()]
    assert all(f.is_file() for f in files)
    assert (FONT_DIR / "LICENSE-DejaVu.txt").is_file()
    assert sum(f.stat().st_size for f in FONT_DIR.iterdir()) < 3_000_000
    assert all(Path(font.path).parent == FONT_DIR for font in _loaded_fonts())


def _loaded_fonts() -> list:
    _crop(1, "us_ca", "us")
    _crop(2, "fr", "eu")
    info = plate_module._font.cache_info()
    assert info.currsize > 0
    return [plate_module._font(key, 40) for key in FONT_FILES]


# --------------------------------------------------------------------------
# Scenes
# --------------------------------------------------------------------------


def _inside(polygon: np.ndarray, point: np.ndarray) -> float:
    return cv2.pointPolygonTest(polygon.astype(np.float32), (float(point[0]), float(point[1])), True)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_scene_plates_are_in_frame_and_only_the_own_plate_in_the_roi(size: tuple[int, int]) -> None:
    for seed in range(4):
        scene = render_scene(np.random.default_rng(seed), size=size, neighbour=True)
        w, h = size
        assert scene.image.shape == (h, w, 3) and scene.image.dtype == np.uint8
        assert len(scene.roi) >= 3
        for corners in (scene.plate.corners, scene.neighbour.corners):
            assert (corners >= 0).all() and (corners[:, 0] <= w).all() and (corners[:, 1] <= h).all()
        assert all(_inside(scene.roi, c) > 0 for c in scene.plate.corners)
        assert all(_inside(scene.roi, c) < 0 for c in scene.neighbour.corners)


def _side_ratio(corners: np.ndarray) -> float:
    tl, tr, br, bl = np.asarray(corners, float)
    left, right = np.linalg.norm(bl - tl), np.linalg.norm(br - tr)
    return float(min(left, right) / max(left, right))


def test_a_street_view_sees_plates_larger_and_more_turned_than_a_bay_camera() -> None:
    size = (1280, 720)
    bay = [render_scene(np.random.default_rng(s), size=size, neighbour=False) for s in range(16)]
    street = [render_scene(np.random.default_rng(s), size=size, neighbour=False, viewpoint="street") for s in range(16)]
    for scene in street:  # whole plates in frame, as for a bay camera
        assert (scene.plate.corners >= 0).all() and (scene.plate.corners[:, 0] <= 1280).all()
        assert (scene.plate.corners[:, 1] <= 720).all() and len(scene.roi) >= 3
    width = lambda s: float(np.linalg.norm(s.plate.corners[1] - s.plate.corners[0]))  # noqa: E731
    assert max(map(width, street)) > 1.3 * max(map(width, bay))
    assert np.mean([_side_ratio(s.plate.corners) for s in street]) < np.mean([_side_ratio(s.plate.corners) for s in bay])
    with pytest.raises(ValueError, match="viewpoint 'sky'"):
        render_scene(np.random.default_rng(0), viewpoint="sky")


def test_a_street_views_roi_holds_its_own_plate_as_a_site_would_draw_it() -> None:
    from baytwin.core.ocr.roi import Roi

    for seed in range(24):  # the plate stands above the floor a street camera sees as a thin band
        scene = render_scene(np.random.default_rng(seed), size=(1280, 720), viewpoint="street")
        assert all(_inside(scene.roi, c) > 0 for c in scene.plate.corners), seed
        xs, ys = scene.plate.corners[:, 0], scene.plate.corners[:, 1]
        assert Roi(tuple(map(tuple, scene.roi))).keeps((xs.min(), ys.min(), xs.max(), ys.max())), seed


def test_scene_without_neighbour_and_with_a_fixed_plate() -> None:
    scene = render_scene(np.random.default_rng(5), fmt="fr", text="AB-123-CD", neighbour=False)
    assert scene.neighbour is None
    assert (scene.plate.text, scene.plate.format, scene.plate.style) == ("AB123CD", "fr", "eu")


# --------------------------------------------------------------------------
# Degradations
# --------------------------------------------------------------------------


def _mad(before: np.ndarray, after: np.ndarray) -> float:
    return float(np.abs(after.astype(np.float32) - before.astype(np.float32)).mean())


def _sharpness_loss(before: np.ndarray, after: np.ndarray) -> float:
    def detail(image: np.ndarray) -> float:
        return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.CV_32F).var())

    return 1 - detail(after) / detail(before)


def _narrowing(before: np.ndarray, after: np.ndarray, corners: np.ndarray) -> float:
    width = np.linalg.norm(corners[1] - corners[0]) + np.linalg.norm(corners[2] - corners[3])
    return float(1 - width / (2 * (CROP.corners[1, 0] - CROP.corners[0, 0])))


def _darkening_outside_plate(before: np.ndarray, after: np.ndarray) -> float:
    mask = np.zeros(before.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, CROP.corners.astype(np.int32), 1)
    outside = mask == 0
    return 1 - float(after[outside].mean()) / float(before[outside].mean())


# What "more degraded" means for each: by default the mean absolute change.
MEASURES: dict[str, Callable[..., float]] = {
    "motion_blur": _sharpness_loss,
    "defocus": _sharpness_loss,
    "low_res": _sharpness_loss,
    "steep_angle": _narrowing,
    "night_ir": _darkening_outside_plate,
}


@pytest.mark.parametrize("name", list(REGISTRY))
def test_severity_zero_leaves_the_image_unchanged(name: str) -> None:
    out = degrade(CROP.image, {name: 0}, np.random.default_rng(0), CROP.corners)
    assert np.array_equal(out, CROP.image)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_higher_severity_degrades_more(name: str) -> None:
    measure = MEASURES.get(name, _mad)
    values = []
    for severity in range(1, 5):
        result = apply_degradations(CROP.image, {name: severity}, np.random.default_rng(42), CROP.corners)
        assert result.image.shape == CROP.image.shape and result.image.dtype == np.uint8
        args = (CROP.image, result.image, result.plate_corners) if measure is _narrowing else (CROP.image, result.image)
        values.append(measure(*args))
    assert values[0] > 0, f"{name} at severity 1 changed nothing"
    assert all(a < b for a, b in itertools.pairwise(values)), f"{name}: {values}"


@pytest.mark.parametrize("name", list(REGISTRY))
def test_degradations_are_deterministic_for_a_generator(name: str) -> None:
    first = degrade(CROP.image, {name: 3}, np.random.default_rng(7), CROP.corners)
    again = degrade(CROP.image, {name: 3}, np.random.default_rng(7), CROP.corners)
    assert np.array_equal(first, again)


def test_degradations_compose_and_move_the_corners() -> None:
    recipe = {"bent": 2, "steep_angle": 3, "rain": 2, "night_ir": 1, "noise": 2, "jpeg": 2}
    result = apply_degradations(CROP.image, recipe, np.random.default_rng(3), CROP.corners, CROP.corners)
    assert result.image.shape == CROP.image.shape
    assert not np.allclose(result.plate_corners, CROP.corners)
    assert np.allclose(result.points, result.plate_corners)  # other points move the same way


def test_night_darkens_the_scene_but_the_plate_stays_bright() -> None:
    scene = render_scene(np.random.default_rng(2), neighbour=False)
    mask = np.zeros(scene.image.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, scene.plate.corners.astype(np.int32), 1)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8))
    day_grey = cv2.cvtColor(scene.image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    scene_levels = []
    for severity in range(1, 5):
        night = degrade(scene.image, {"night_ir": severity}, np.random.default_rng(0), scene.plate.corners)
        grey = cv2.cvtColor(night, cv2.COLOR_RGB2GRAY).astype(np.float32)
        scene_levels.append(grey[mask == 0].mean() / day_grey[mask == 0].mean())
        background = np.percentile(grey[mask == 1], 75)  # the plate's sheeting, not its characters
        assert background > 150
        assert background > 2.5 * grey[mask == 0].mean()
    assert scene_levels[0] < 0.8 and scene_levels[-1] < 0.2
    assert all(a > b for a, b in itertools.pairwise(scene_levels))


def test_unknown_degradation_and_bad_severity_are_refused() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(KeyError, match="haze"):
        degrade(CROP.image, {"haze": 1}, rng)
    with pytest.raises(ValueError, match="rain"):
        degrade(CROP.image, {"rain": 5}, rng)


# --------------------------------------------------------------------------
# Data sets
# --------------------------------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    kwargs = {"n": 8, "seed": 5, "random_degradations": True}
    generate(tmp_path / "a", **kwargs)
    generate(tmp_path / "b", **kwargs)
    generate(tmp_path / "c", **{**kwargs, "seed": 6})
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a") != _files(tmp_path / "c")
    generate(tmp_path / "s1", n=2, scenes=True, seed=1)
    generate(tmp_path / "s2", n=2, scenes=True, seed=1)
    assert _files(tmp_path / "s1") == _files(tmp_path / "s2")


def test_frames_of_one_vehicle_share_plate_and_conditions_but_not_pixels(tmp_path: Path) -> None:
    labels = generate(tmp_path, 6, seed=4, random_degradations=True, frames=3)
    with labels.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["vehicle"] for r in rows] == ["0", "0", "0", "1", "1", "1"]
    for group in (rows[:3], rows[3:]):
        conditions = {tuple(r[k] for k in ("plate", "format", "style", *REGISTRY)) for r in group}
        assert len(conditions) == 1
        assert len({(tmp_path / r["file"]).read_bytes() for r in group}) == 3
    assert rows[0]["plate"] != rows[3]["plate"]


def test_labels_have_one_row_per_image_with_the_declared_columns(tmp_path: Path) -> None:
    done: list[tuple[int, int]] = []
    labels = generate(tmp_path, 6, formats=["uk", "us_ca"], degradations={"rain": 2, "jpeg": 1}, seed=3,
                      progress=lambda i, n: done.append((i, n)))
    expected = ["file", "vehicle", "plate", "format", "style", "dirt", "bent", "steep_angle", "occlusion", "night_ir", "snow",
                "rain", "fog", "glare", "motion_blur", "defocus", "low_res", "noise", "jpeg",
                "x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4"]
    assert label_columns(scenes=False) == expected
    with labels.open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == expected
    assert len(rows) == 6 and done[-1] == (6, 6)
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == sorted(Path(r["file"]).name for r in rows)
    for row in rows:
        assert row["file"].endswith(".jpg")  # the jpeg degradation writes the JPEG itself
        assert row["format"] in ("uk", "us_ca") and FORMATS[row["format"]].matches(row["plate"])
        assert " " not in row["plate"] and row["style"] in styles_for(row["format"])
        assert row["rain"] == "2" and row["jpeg"] == "1" and row["fog"] == "0"
        image = cv2.imread(str(tmp_path / row["file"]))
        corners = np.array([float(row[c]) for c in expected[-8:]]).reshape(4, 2)
        assert (corners >= 0).all() and (corners <= [image.shape[1], image.shape[0]]).all()


def test_scene_labels_carry_the_roi_and_the_neighbour(tmp_path: Path) -> None:
    labels = generate(tmp_path, 3, scenes=True, seed=4, degradations={"fog": 1})
    with labels.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == label_columns(scenes=True)
    assert label_columns(scenes=True)[-3:] == ["roi", "neighbour_plate", "neighbour_corners"]
    for row in rows:
        assert row["file"].endswith(".png")
        roi = np.array(json.loads(row["roi"]), np.float32)
        assert roi.ndim == 2 and roi.shape[1] == 2 and len(roi) >= 3
        corners = np.array([float(row[c]) for c in ("x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")]).reshape(4, 2)
        assert all(_inside(roi, c) > 0 for c in corners)
        if row["neighbour_plate"]:
            assert all(_inside(roi, c) < 0 for c in json.loads(row["neighbour_corners"]))
