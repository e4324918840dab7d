"""Choosing a model's acceptance threshold on labelled crops, and the reader taking it from the model's config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from baytwin.core.ocr.calibration import (
    CalibrationProblem,
    Read,
    choose_review_floor,
    choose_threshold,
    first_look_reads,
    gated_reads,
    write_threshold,
)
from baytwin.core.ocr.evaluation import evaluate, load_labels, summarize
from baytwin.core.ocr.pipeline import PlateReader
from baytwin.core.ocr.recognizer import DEFAULT_CONFIG, DEFAULT_MODEL, Recognizer
from baytwin.sim.imagery.dataset import generate


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """250 degraded crops: enough wrong reads among them for the bound to decide something."""
    out = tmp_path_factory.mktemp("calibration")
    generate(out, 250, seed=21, random_degradations=True)
    return out


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """A copy of the bundled model and its config: calibration writes into the config."""
    shutil.copy(DEFAULT_MODEL, tmp_path / "reader.onnx")
    shutil.copy(DEFAULT_CONFIG, tmp_path / "reader.yaml")
    return tmp_path / "reader.onnx"


def test_the_threshold_is_the_lowest_that_keeps_wrong_accepted_reads_within_the_bound() -> None:
    reads = [Read(True, 0.99)] * 300 + [Read(True, 0.7)] * 90 + [Read(False, c) for c in (0.97, 0.95, 0.8, 0.6)] \
        + [Read(False, 0.0)] * 6  # 400 reads: 0.5 % allows 2 wrong accepted
    chosen = choose_threshold(reads, 0.005)
    assert chosen.threshold == 0.801  # just above the third most confident wrong read
    assert chosen.wrong_accepted_share == pytest.approx(2 / 400) and chosen.accepted_share == pytest.approx(302 / 400)
    assert choose_threshold(reads, 0.0).threshold == 0.971  # no wrong read may pass
    assert choose_threshold([Read(True, 0.6)] * 300, 0.005).threshold == 0.5  # never below the review floor


def test_a_model_confidently_wrong_cannot_be_calibrated() -> None:
    with pytest.raises(CalibrationProblem, match="confidence 1.0"):
        choose_threshold([Read(False, 1.0)] * 5 + [Read(True, 0.9)] * 300, 0.005)


def test_the_review_floor_is_the_lowest_confidence_from_which_reads_are_right_often_enough() -> None:
    # unsure reads, by confidence band: 0.01 right 1 in 10, 0.04 right 1 in 4, 0.06 right 1 in 2, 0.3 right 9 in 10
    reads = [Read(i < 1, 0.01) for i in range(10)] + [Read(i < 5, 0.04) for i in range(20)] \
        + [Read(i < 10, 0.06) for i in range(20)] + [Read(i < 9, 0.3) for i in range(10)] \
        + [Read(True, 0.97)] * 40 + [Read(False, 0.0)] * 10  # 110 reads, 10 with no text at all
    floor = choose_review_floor(reads, accept_at=0.95, min_right_share=1 / 3)
    assert floor.threshold == 0.06  # the 0.04 band (one in four) is withheld, the 0.06 band (one in two) reviewed
    assert floor.reviewed_share == pytest.approx(30 / 110) and floor.withheld_share == pytest.approx(30 / 110)
    assert choose_review_floor(reads, 0.95, 0.2).threshold == 0.04
    assert choose_review_floor(reads, 0.95, 0.05).threshold == 0.0  # every read with text is worth a look
    assert choose_review_floor(reads, 0.95, 0.95).threshold == 0.95  # none is: nothing below the gate is shown
    assert choose_review_floor(reads, 0.05, 0.2).threshold == 0.04  # never above the acceptance threshold
    # a band that dips (one unlucky stretch) above a good one does not hide the good one: the fit is rising
    dip = [Read(False, 0.02)] * 10 + [Read(i < 6, 0.1) for i in range(10)] + [Read(i < 2, 0.2) for i in range(10)] + [Read(True, 0.5)] * 10
    assert choose_review_floor(dip, 0.95, 1 / 3).threshold == 0.1


def test_calibration_writes_the_threshold_the_reader_then_uses_and_keeps_its_bound(labelled: Path, model: Path) -> None:
    images = load_labels(labelled / "labels.csv")
    recognizer = Recognizer(model, model.with_suffix(".yaml"))
    chosen = choose_threshold(first_look_reads(labelled, images, recognizer), 0.005)
    assert 0.5 <= chosen.threshold <= 1.0 and chosen.images == 250
    floor = choose_review_floor(gated_reads(labelled, images, recognizer, chosen.threshold), chosen.threshold)
    assert 0.0 <= floor.threshold <= chosen.threshold
    write_threshold(model.with_suffix(".yaml"), chosen, "2026-01-31", floor)
    written = yaml.safe_load(model.with_suffix(".yaml").read_text())
    assert written["accept_threshold"] == chosen.threshold and written["review_threshold"] == floor.threshold
    assert written["calibrated_on"]["images"] == 250 and written["calibrated_on"]["date"] == "2026-01-31"
    assert written["img_height"] == yaml.safe_load(DEFAULT_CONFIG.read_text())["img_height"]  # the rest is kept
    reader = PlateReader(recognizer=Recognizer(model, model.with_suffix(".yaml")))
    assert reader.gate.accept_at == chosen.threshold and reader.gate.review_from == floor.threshold
    report = summarize(evaluate(labelled, images, reader))  # the real reader, with its second look, at that gate
    assert report["dangerous_read_rate"] <= 0.005
    assert report["status_share"]["review"] == pytest.approx(floor.reviewed_share, abs=1e-4)  # type: ignore[index]
    assert report["status_share"]["accepted"] == pytest.approx(chosen.accepted_share, abs=1e-4)  # type: ignore[index]


def test_fewer_than_200_labelled_images_are_refused(labelled: Path, model: Path) -> None:
    images = load_labels(labelled / "labels.csv")[:199]
    with pytest.raises(CalibrationProblem, match="199 labelled images; calibration needs at least 200"):
        first_look_reads(labelled, images, Recognizer(model, model.with_suffix(".yaml")))
