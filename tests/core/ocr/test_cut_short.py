"""A detector's box that holds only part of a plate (core/ocr/cut_short.py), with the bundled reader.

A large plate boxed in two, as the learned detector boxes plates much larger than a bay camera's:
read alone, the left piece is a plate of its own ("GT93" of "GT93 MGX") and the reader is sure of it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from baytwin.core.ocr import pipeline
from baytwin.core.ocr.cut_short import goes_on, wider_box
from baytwin.core.ocr.detector import Candidate
from baytwin.core.ocr.pipeline import PlateReader, PlateResult
from baytwin.core.ocr.roi import Roi
from baytwin.sim.imagery.plates import render_plate

WHOLE_FRAME = Roi(((0, 0), (1280, 0), (1280, 720), (0, 720)))
PLATES = ("GT93MGX", "AB12CDE", "KX71PLN", "YR19WEB")


def _frame(seed: int) -> tuple[np.ndarray, str, tuple[int, int, int, int]]:
    """A 300 px wide UK plate on a plain frame, its text and its box."""
    text = PLATES[seed % len(PLATES)]
    plate = render_plate(text, "uk", np.random.default_rng(seed)).image
    plate = cv2.resize(plate, (300, round(plate.shape[0] * 300 / plate.shape[1])))
    frame = np.full((720, 1280, 3), 60, np.uint8)
    frame[300:300 + plate.shape[0], 500:800] = plate
    return frame, text, (500, 300, 800, 300 + plate.shape[0])


def _reads(reader: PlateReader, seeds: range, share: float) -> list[tuple[PlateResult, str]]:
    """Each frame read through a box holding the left ``share`` of its plate."""
    out = []
    for seed in seeds:
        frame, text, (x1, y1, x2, y2) = _frame(seed)
        box = (x1, y1, x1 + round((x2 - x1) * share), y2)
        out.append((reader.read_frame(frame, WHOLE_FRAME, [Candidate(box, 0.9)]), text))
    return out


def test_a_plate_boxed_in_part_goes_to_review_not_to_a_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    reader = PlateReader()
    checked = _reads(reader, range(16), 0.55)
    monkeypatch.setattr(pipeline, "read_past_the_box", lambda _reader, _frame, _box, read, crop, _at: (read, crop))
    unchecked = _reads(reader, range(16), 0.55)
    wrong_accepted = sum(r.status == "accepted" and r.plate != t for r, t in unchecked)
    assert wrong_accepted >= 8  # what the check is for: the piece alone reads as a sure plate
    assert not any(r.status == "accepted" and r.plate != t for r, t in checked)
    assert sum(r.plate == t for r, t in checked) >= 10  # a person is shown the whole plate's read, mostly right
    assert all(r.crop is not None and r.crop.shape[1] > 200 for r, _ in checked if r.plate != r.raw or r.status == "review")


def test_a_box_that_holds_the_whole_plate_is_read_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    reader = PlateReader()
    checked = _reads(reader, range(16), 1.0)
    monkeypatch.setattr(pipeline, "read_past_the_box", lambda _reader, _frame, _box, read, crop, _at: (read, crop))
    unchecked = _reads(reader, range(16), 1.0)
    accepted = lambda reads: sum(r.status == "accepted" and r.plate == t for r, t in reads)  # noqa: E731
    assert accepted(unchecked) >= 12 and accepted(checked) >= accepted(unchecked) - 1


def test_only_characters_before_or_after_the_read_say_the_plate_went_on() -> None:
    assert goes_on("GT93", "GT93MGX") and goes_on("W34MHE", "VW34MHE") and goes_on("YUH", "GL52YUH")
    assert not goes_on("GT93MGX", "GT93MGGX")  # one more in the midst: the wider view read the plate less well
    assert not goes_on("GT93MGX", "GT93MG") and not goes_on("GT93", "GT93") and not goes_on("GT93", "GT98MGX")


def test_the_wider_box_grows_sideways_by_its_height_and_stays_in_the_frame() -> None:
    assert wider_box((500, 300, 600, 350), (720, 1280, 3)) == (440, 288, 660, 362)
    assert wider_box((0, 0, 100, 50), (60, 120, 3)) == (0, 0, 120, 60)
