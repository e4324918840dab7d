"""The colour check (core/ocr/colour_check.py), with the bundled general reader.

Plates are the world renderer's held-out `split` design (a second colour printed over the plate's
right end, so the last character may stand on it) in the held-out font families: neither the
reader's training nor the choice of the check's setting saw either."""

from __future__ import annotations

import numpy as np
import pytest

from baytwin.core.ocr import pipeline
from baytwin.core.ocr.colour_check import colour_views, hold_colour_disagreements, is_colour, reads_more, views_of_each
from baytwin.core.ocr.pipeline import PlateReader, PlateResult
from baytwin.core.ocr.recognizer import Recognizer
from baytwin.core.ocr.voting import FrameRead
from baytwin.sim.imagery.font_pool import held_out_fonts
from baytwin.sim.imagery.world_plates import render_world_plate


@pytest.fixture(scope="module")
def split_plates() -> tuple[list[np.ndarray], list[str]]:
    rng = np.random.default_rng(4242)
    plates = [render_world_plate(rng, held_out_fonts(), design="split") for _ in range(300)]
    return [p.image for p in plates], [p.text for p in plates]


def _accepted(results: list[PlateResult], truth: list[str]) -> tuple[int, int]:
    right = sum(r.status == "accepted" and r.plate == t for r, t in zip(results, truth))
    wrong = sum(r.status == "accepted" and r.plate != t for r, t in zip(results, truth))
    return right, wrong


def test_a_character_lost_in_grey_sends_the_read_to_review_not_to_a_fine(
        split_plates: tuple[list[np.ndarray], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    crops, truth = split_plates
    reader = PlateReader()
    checked_right, checked_wrong = _accepted(reader.read_crops(crops), truth)
    monkeypatch.setattr(pipeline, "hold_colour_disagreements", lambda _reader, _crops, reads, *_: list(reads))
    grey_right, grey_wrong = _accepted(reader.read_crops(crops), truth)
    assert grey_wrong >= 6, "these plates no longer fool the grey read: the test shows nothing"
    assert checked_wrong <= grey_wrong / 3, f"{checked_wrong} of {grey_wrong} plates still accepted without a character"
    assert checked_right >= grey_right - 1, "the check held back right reads it had no reason to doubt"


def test_the_check_only_lowers_accepted_reads_of_colour_crops_and_keeps_their_text() -> None:
    recognizer = Recognizer()
    rng = np.random.default_rng(11)
    plates = [render_world_plate(rng, held_out_fonts(), design="split") for _ in range(40)]
    crops = [p.image for p in plates]
    greys = [np.repeat(np.dot(c[..., :3], [0.299, 0.587, 0.114]).astype(np.uint8)[..., None], 3, axis=2) for c in crops]
    accept_at, fit = 0.9, (recognizer.config.img_width, recognizer.config.img_height)
    reads = [FrameRead(p.text[0], (0.99,), 0.99) for p in plates]  # sure, and short: a view of the plate reads more
    held = hold_colour_disagreements(recognizer, crops, reads, accept_at, fit)
    assert all(h.text == r.text for h, r in zip(held, reads))
    assert all(h.confidence <= r.confidence for h, r in zip(held, reads))
    assert any(h.confidence < accept_at for h in held)  # held: just below the gate, so a person looks
    assert all(h.confidence > accept_at - 1e-6 for h in held if h.confidence < accept_at)
    assert hold_colour_disagreements(recognizer, greys, reads, accept_at, fit) == reads
    unsure = [FrameRead(p.text[0], (0.5,), 0.5) for p in plates]  # the gate would not accept them: not checked
    assert hold_colour_disagreements(recognizer, crops, unsure, accept_at, fit) == unsure


def test_colour_and_grey_crops_are_told_apart_and_any_size_makes_a_view() -> None:
    grey = np.full((30, 90, 3), 128, np.uint8)
    grey[..., 1] += 2  # a camera's grey is never exactly equal across channels
    assert not is_colour(grey)
    assert not is_colour(np.full((30, 90), 128, np.uint8))
    colour = grey.copy()
    colour[:, 60:] = (20, 60, 160)
    assert is_colour(colour)
    for spread, seen in ((3, False), (4, True)):  # one pixel whose channels spread further than a camera's grey
        for channels in ((0, 1), (1, 2), (0, 2)):
            speck = np.full((30, 90, 3), 128, np.uint8)
            speck[17, 45, channels[1]] += spread
            assert is_colour(speck) is seen and is_colour(speck[:, ::3]) is seen  # column 45 is in the strided view
    for h, w in ((1, 1), (2, 40), (48, 160), (600, 1800), (900, 100)):
        crop = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
        for view in colour_views(crop, (160, 48)):
            assert view.ndim == 3 and view.shape[0] <= 48 and view.shape[1] <= 160 and (view[..., 0] == view[..., 2]).all()


def test_a_batch_made_on_every_core_gives_each_crop_its_own_views_in_order() -> None:
    rng = np.random.default_rng(3)
    crops = [rng.integers(0, 255, (24 + 6 * i, 90 + 10 * i, 3), dtype=np.uint8) for i in range(7)]
    together = views_of_each(crops, (160, 48))
    assert len(together) == len(crops)
    for crop, views in zip(crops, together):
        assert all(np.array_equal(a, b) for a, b in zip(views, colour_views(crop, (160, 48))))
    assert views_of_each([], (160, 48)) == []


def test_only_a_view_that_reads_the_same_characters_and_more_counts_against_a_read() -> None:
    assert reads_more("LG6Y", "LG6Y8") and reads_more("LG6Y", "1LG6Y") and reads_more("LGY", "LG6Y")
    assert not reads_more("LG6Y8", "LG6Y")  # fewer: the view lost a character, not the read
    assert not reads_more("LG6Y", "LG6V8")  # other characters: a worse picture, not evidence
    assert not reads_more("LG6Y", "LG6Y")


def test_an_opponent_axis_without_printed_colour_gives_no_view() -> None:
    """A grey camera crop whose channels wander a few levels: stretching its hue axes would show the reader noise."""
    rng = np.random.default_rng(8)
    crop = np.full((48, 160, 3), 180, np.uint8)
    crop[12:36, 20:140] = 30  # dark characters on a light plate
    noisy = np.clip(crop.astype(np.int16) + rng.integers(-4, 5, crop.shape), 0, 255).astype(np.uint8)
    assert is_colour(noisy) and len(colour_views(noisy, (160, 48))) == 1  # decolourized only
    banded = noisy.copy()
    banded[:, :20] = (0, 51, 153)  # an EU band: blue on both axes
    assert len(colour_views(banded, (160, 48))) == 3
