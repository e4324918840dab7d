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


def _plate_seen_from_the_side(text: str = "AB12CDE", lean_degrees: float = 20) -> tuple[np.ndarray, np.ndarray]:
    """A dark frame holding a light plate with dark characters, seen well off its axis: the plate's upright
    sides lean ``lean_degrees`` and the whole is rolled 8 degrees, as a phone beside a car sees it."""
    face = np.full((60, 260, 3), 235, np.uint8)
    cv2.putText(face, text, (12, 46), cv2.FONT_HERSHEY_SIMPLEX, 1.45, (20, 20, 20), 4)
    flat = np.float32([[0, 0], [260, 0], [260, 60], [0, 60]])
    lean, roll = np.tan(np.radians(lean_degrees)), np.radians(8)
    sheared = np.float32([[x + lean * (60 - y), y] for x, y in flat])
    turn = np.float32([[np.cos(roll), -np.sin(roll)], [np.sin(roll), np.cos(roll)]])
    quad = sheared @ turn.T + np.float32([120, 140])
    frame = np.full((360, 560, 3), 40, np.uint8)
    warped = cv2.warpPerspective(face, cv2.getPerspectiveTransform(flat, quad), (560, 360))
    inside = cv2.fillConvexPoly(np.zeros((360, 560), np.uint8), quad.astype(np.int32), 255) > 0
    frame[inside] = warped[inside]
    return frame, quad


def test_a_plate_seen_well_off_its_axis_is_cut_out_by_its_own_four_sides() -> None:
    from baytwin.core.ocr.detector import plate_corners

    frame, quad = _plate_seen_from_the_side()
    x1, y1 = quad.min(axis=0).astype(int)
    x2, y2 = quad.max(axis=0).astype(int)
    corners = plate_corners(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), (int(x1) + 10, int(y1) + 5, int(x2) - 10, int(y2) - 5))
    assert np.abs(corners - order_corners(quad)).max() <= 4  # a rotated rectangle misses a leaning side by 20 px
    crop = cv2.cvtColor(rectified_crop(frame, corners), cv2.COLOR_RGB2GRAY)
    h = crop.shape[0]
    ink = crop[int(h * 0.3):int(h * 0.7)] < 100  # the characters' middle band: upright strokes stand in columns
    top, bottom = ink[: ink.shape[0] // 3].mean(axis=0), ink[-ink.shape[0] // 3:].mean(axis=0)
    assert np.corrcoef(top, bottom)[0, 1] > 0.5


def test_a_square_on_plate_notched_by_a_coloured_band_keeps_its_rectangle() -> None:
    from baytwin.core.ocr.rectify import refine_quad

    frame = np.full((200, 400), 40, np.uint8)
    cv2.rectangle(frame, (100, 80), (300, 125), 235, -1)  # a white plate
    cv2.rectangle(frame, (100, 80), (116, 104), 60, -1)  # a dark band's upper half at its left end
    cv2.putText(frame, "AB12CD", (122, 116), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 3)
    corners = refine_quad(frame, (105, 82, 295, 123))
    assert corners is not None
    assert np.abs(corners - np.float32([[100, 80], [300, 80], [300, 125], [100, 125]])).max() <= 3


def test_a_plate_seen_from_the_side_reads_right_through_the_pipeline() -> None:
    from baytwin.core.ocr import pipeline, rectify
    from baytwin.core.ocr.detector import Candidate, plate_corners
    from baytwin.core.ocr.pipeline import PlateReader

    reader = PlateReader()

    def reads(text: str) -> bool:
        # 30 degrees: the general reader reads characters leaning 20 degrees as they are, so a rectangle's
        # crop reads as well there; further round only the plate's own sides stand the characters up
        frame, quad = _plate_seen_from_the_side(text, lean_degrees=30)
        x1, y1 = quad.min(axis=0).astype(int)
        x2, y2 = quad.max(axis=0).astype(int)
        box = (int(x1) + 10, int(y1) + 5, int(x2) - 10, int(y2) - 5)  # a learned detector's box on it
        found = Candidate(box, 0.9, plate_corners(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), box))
        return reader.read_frame(frame, detected=[found]).plate == text

    texts = ("AB12CDE", "KX70PLM", "HN4827T", "WV59ZRA", "TD31BHU", "LP06MYR")
    right = sum(map(reads, texts))
    rectangles, upright = rectify.QUAD_GAIN, pipeline.upright_characters
    try:
        rectify.QUAD_GAIN = 9.0  # no four sides ever fit better: every crop is a rotated rectangle ...
        straightened = sum(map(reads, texts))  # ... whose leaning characters are then set upright
        pipeline.upright_characters = lambda crop: crop  # neither: the rectangle's crop as it is
        leaning = sum(map(reads, texts))
    finally:
        rectify.QUAD_GAIN, pipeline.upright_characters = rectangles, upright
    assert right >= 5 and straightened >= 5 and right >= leaning + 2, (right, straightened, leaning)


def _sheared(crop: np.ndarray, slant: float) -> np.ndarray:
    h, w = crop.shape[:2]
    return cv2.warpAffine(crop, np.float32([[1, -slant, slant * h / 2], [0, 1, 0]]), (w, h),
                          borderMode=cv2.BORDER_REPLICATE)


def test_characters_leaning_like_italics_are_set_upright() -> None:
    from baytwin.core.ocr.pipeline import PlateReader
    from baytwin.core.ocr.rectify import upright_characters
    from baytwin.sim.imagery.font_pool import held_out_fonts
    from baytwin.sim.imagery.world_plates import render_world_plate

    def bay_sized(crop: np.ndarray) -> np.ndarray:  # as small as a bay camera's plates
        return cv2.resize(crop, (int(crop.shape[1] * 28 / crop.shape[0]), 28), interpolation=cv2.INTER_AREA)

    rng = np.random.default_rng(21)
    drawn = [render_world_plate(rng, held_out_fonts(), design="plain") for _ in range(40)]
    plates = [p for p in drawn if p.image.shape[1] >= 1.6 * p.image.shape[0]][:24]  # one-line plates
    assert len(plates) == 24
    straight = [bay_sized(p.image) for p in plates]
    leaning = [bay_sized(_sheared(p.image, 0.28 if i % 2 else -0.28)) for i, p in enumerate(plates)]  # 15 degrees
    upright = [upright_characters(c) for c in leaning]
    assert sum(u is not c for u, c in zip(upright, leaning)) >= 20  # the lean was found ...
    closer = sum(np.abs(u.astype(int) - s).mean() < 0.7 * np.abs(c.astype(int) - s).mean()
                 for u, c, s in zip(upright, leaning, straight))
    assert closer >= 20  # ... and taken out
    # the reader reads clean characters leaning 15 degrees as they are (it is crops cut out of frames, leaning
    # and blurred, that read better upright: docs/ocr.md); setting them upright must not cost a read
    reader = PlateReader()
    right = lambda crops: sum(r.text == p.text for r, p in zip(reader.recognize(crops), plates))  # noqa: E731
    assert right(upright) >= right(straight) - 1


def test_an_upright_crop_or_one_too_small_to_tell_is_returned_as_it_is() -> None:
    from baytwin.core.ocr.rectify import upright_characters
    from baytwin.sim.imagery.font_pool import held_out_fonts
    from baytwin.sim.imagery.world_plates import render_world_plate

    rng = np.random.default_rng(22)
    crops = [render_world_plate(rng, held_out_fonts(), design="plain").image for _ in range(24)]
    assert sum(upright_characters(c) is c for c in crops) >= 21
    tiny = np.zeros((6, 30, 3), np.uint8)
    assert upright_characters(tiny) is tiny
    squares = (render_world_plate(rng, held_out_fonts(), design="stacked").image for _ in range(40))
    square = _sheared(next(im for im in squares if im.shape[1] < 1.4 * im.shape[0]), 0.3)
    assert upright_characters(square) is square  # two lines, or a motorcycle plate: not searched
