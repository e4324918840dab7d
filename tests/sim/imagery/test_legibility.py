"""The severity scale keeps its promise: every character legible up to 2, characters going from 3."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from core.plates import load_formats
from sim.imagery.degrade import REGISTRY, degrade
from sim.imagery.legibility import characters_lost
from sim.imagery.plates import PlateImage, random_plate_text, render_plate

#: Degradations that move the plate; a pixel-for-pixel comparison does not apply to them.
MOVES_THE_PLATE = {"bent", "steep_angle"}


@functools.cache
def _plates() -> tuple[PlateImage, ...]:
    """Plates of every format whose characters the yardstick finds, each one exactly once.

    Worn, low-contrast or touching characters defeat its simple segmentation on
    about a third of plates; those are left out rather than measured wrongly.
    """
    formats = list(load_formats())
    plates = []
    for seed in range(300):
        rng = np.random.default_rng(900_000 + seed)
        fmt = formats[seed % len(formats)]
        plate = render_plate(random_plate_text(fmt, rng), fmt, rng)
        if characters_lost(plate.image, plate.image, plate.corners) == (0, len(plate.text)):
            plates.append(plate)
    return tuple(plates)


def _share_with_a_character_lost(name: str, severity: int) -> float:
    lost = 0
    for seed, plate in enumerate(_plates()):
        spoiled = degrade(plate.image, {name: severity}, np.random.default_rng(seed), plate_corners=plate.corners)
        lost += characters_lost(plate.image, spoiled, plate.corners)[0] > 0
    return lost / len(_plates())


def test_the_yardstick_finds_the_characters_of_most_plates_of_every_format() -> None:
    measured = {plate.format for plate in _plates()}
    assert len(_plates()) >= 160 and measured == set(load_formats())


def test_a_clean_plate_loses_nothing_and_a_bar_over_a_character_loses_it() -> None:
    plate = _plates()[0]
    lost, found = characters_lost(plate.image, plate.image, plate.corners)
    assert (lost, found) == (0, len(plate.text))
    covered = plate.image.copy()
    x0, y0 = plate.corners.min(axis=0).astype(int)
    x1, y1 = plate.corners.max(axis=0).astype(int)
    middle = (x0 + x1) // 2
    covered[y0:y1, middle - (x1 - x0) // 12 : middle + (x1 - x0) // 12] = 255  # a white bar one character wide
    assert characters_lost(plate.image, covered, plate.corners)[0] >= 1


@pytest.mark.parametrize("name", sorted(set(REGISTRY) - MOVES_THE_PLATE))
def test_at_severity_2_every_character_is_still_there(name: str) -> None:
    assert _share_with_a_character_lost(name, 2) <= 0.06


@pytest.mark.parametrize("name", ["glare", "occlusion", "motion_blur"])
def test_at_severity_3_characters_start_to_go(name: str) -> None:
    """The harder degradations still reach what used to be their severity 2: the scale did not just get easier."""
    assert _share_with_a_character_lost(name, 3) >= 0.25
