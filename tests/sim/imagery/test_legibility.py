"""The severity scale keeps its promise: every character legible up to 2, characters going from 3."""

from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest

from baytwin.core.plates import load_formats
from baytwin.sim.imagery.degrade import REGISTRY, degrade
from baytwin.sim.imagery.legibility import characters_lost
from baytwin.sim.imagery.plates import PlateImage, random_plate_text, render_plate

#: Degradations that move the plate; a pixel-for-pixel comparison does not apply to them.
MOVES_THE_PLATE = {"bent", "steep_angle"}
PLATES = 200


@functools.cache
def _plates() -> tuple[PlateImage, ...]:
    """Plates of every format in turn, at the renderer's random resolutions and looks."""
    formats = list(load_formats())
    plates = []
    for seed in range(PLATES):
        rng = np.random.default_rng(900_000 + seed)
        fmt = formats[seed % len(formats)]
        plates.append(render_plate(random_plate_text(fmt, rng), fmt, rng))
    return tuple(plates)


def _share_with_a_character_lost(name: str, severity: int) -> float:
    lost = 0
    for seed, plate in enumerate(_plates()):
        spoiled = degrade(plate.image, {name: severity}, np.random.default_rng(seed), plate_corners=plate.corners)
        lost += characters_lost(plate.image, spoiled, plate.glyphs) > 0
    return lost / PLATES


def test_the_renderer_says_where_every_character_is() -> None:
    for plate in _plates():
        assert plate.glyphs.shape == (len(plate.text), 4, 2)
        inside = [cv2.pointPolygonTest(plate.corners, tuple(map(float, q.mean(axis=0))), False) > 0 for q in plate.glyphs]
        assert all(inside), plate.text
        lefts = plate.glyphs[:, 0, 0]
        assert np.all(np.diff(lefts) > 0), "characters are in reading order"


def test_a_clean_plate_loses_nothing_and_a_bar_over_a_character_loses_it() -> None:
    plate = _plates()[0]
    assert characters_lost(plate.image, plate.image, plate.glyphs) == 0
    covered = plate.image.copy()
    x0, y0 = plate.glyphs[2].min(axis=0).astype(int)
    x1, y1 = plate.glyphs[2].max(axis=0).astype(int)
    covered[y0 : y1 + 1, x0 : x1 + 1] = 255  # a white patch over the third character
    assert characters_lost(plate.image, covered, plate.glyphs) == 1


@pytest.mark.parametrize("name", sorted(set(REGISTRY) - MOVES_THE_PLATE))
def test_at_severity_2_every_character_is_still_there(name: str) -> None:
    assert _share_with_a_character_lost(name, 2) <= 0.06


@pytest.mark.parametrize("name", ["glare", "occlusion", "motion_blur"])
def test_at_severity_3_characters_start_to_go(name: str) -> None:
    """The harder degradations still reach what used to be their severity 2: the scale did not just get easier."""
    assert _share_with_a_character_lost(name, 3) >= 0.25
