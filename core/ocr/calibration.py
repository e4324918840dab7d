"""Choosing a model's acceptance threshold from labelled images, and writing it into the model's config.

A confidence of 0.90 means what the model's training made it mean: one model
is wrong once in a thousand reads above it, another once in fifty. What a
site needs is the other way round: a bound on the reads that are wrong and
still acted on (they bill the wrong driver), and the lowest threshold that
keeps to it, so that as many right reads as possible are acted on at once.

Every labelled image is read once through the real pipeline with a gate that
accepts everything: that is each read's first-look confidence, the one the
gate decides on (the second look is for reads the gate would not accept, and
it never lifts a read past the gate, so it cannot change what is accepted). A read the colour check
holds back (``core/ocr/colour_check.py``) is held whatever the threshold, so it counts as a read no
threshold accepts.
Among all reads, the threshold is the lowest (in steps of 0.001, never below
0.50) at which the share of wrong yet accepted reads is within the bound.

The review floor is chosen next, on what a person would be shown: every image
is read again through the gate just chosen, with all its looks, and the
chance that a read is right is fitted as a rising function of its final
confidence (isotonic regression). Below the floor a read is withheld as
unreadable; the floor is the lowest confidence at which a read is still right
at least ``min_right_share`` of the time (one in three by default): a
suggestion a person corrects two times in three still saves typing the plate,
one mostly wrong does not. Inference only: onnxruntime, numpy and scipy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from scipy.optimize import isotonic_regression

from baytwin.core.config import ConfigError
from baytwin.core.ocr.evaluation import LabelledImage, Progress, evaluate
from baytwin.core.ocr.gate import ConfidenceGate
from baytwin.core.ocr.model_config import load_model_config
from baytwin.core.ocr.pipeline import PlateReader
from baytwin.core.ocr.recognizer import Recognizer

#: Fewer labelled images than this cannot tell a bound of a few in a thousand from luck.
MIN_IMAGES = 200
DEFAULT_MAX_WRONG_ACCEPTED = 0.005
DEFAULT_MIN_RIGHT_SHARE = 1 / 3
#: The threshold is never below the gate's review floor: a read under it is not even worth a person's look.
FLOOR = 0.50
STEP = 0.001


class CalibrationProblem(Exception):
    """The threshold cannot be chosen (too few images, a model confidently wrong); the message says why."""


@dataclass(frozen=True, slots=True)
class Read:
    correct: bool
    confidence: float  # the first look's; 0 when nothing was read


@dataclass(frozen=True, slots=True)
class Calibration:
    threshold: float
    images: int  # the reads it was chosen on (files that could not be read are not counted)
    accepted_share: float  # of all reads, at the threshold
    wrong_accepted_share: float
    max_wrong_accepted: float


@dataclass(frozen=True, slots=True)
class ReviewFloor:
    threshold: float  # below it a read is unreadable
    reviewed_share: float  # of all reads, between the floor and the acceptance threshold
    withheld_share: float  # of all reads, a text read but below the floor
    min_right_share: float


def first_look_reads(folder: Path, images: Sequence[LabelledImage], recognizer: Recognizer,
                     progress: Progress | None = None) -> list[Read]:
    """Every readable labelled image read through the pipeline, at its first-look confidence."""
    if len(images) < MIN_IMAGES:
        raise CalibrationProblem(f"{folder}: {len(images)} labelled images; calibration needs at least {MIN_IMAGES} "
                                 "(on fewer, a bound of a few wrong reads in a thousand is luck)")
    reads = gated_reads(folder, images, recognizer, 0.0, progress)  # a gate that accepts everything: no second look
    if len(reads) < MIN_IMAGES:
        raise CalibrationProblem(f"{folder}: only {len(reads)} of {len(images)} labelled images could be read; calibration "
                                 f"needs at least {MIN_IMAGES}")
    return reads


def gated_reads(folder: Path, images: Sequence[LabelledImage], recognizer: Recognizer, accept_at: float,
                progress: Progress | None = None) -> list[Read]:
    """Every readable labelled image read as a site would read it with this acceptance threshold (every look the
    gate asks for), at its final confidence; 0 when nothing was read. At ``accept_at`` 0 that is the first look."""
    reader = PlateReader(recognizer=recognizer, gate=ConfidenceGate(accept_at=accept_at, review_from=0.0))
    evaluation = evaluate(folder, images, reader, progress=progress)
    return [Read(r.correct, r.confidence if r.read else 0.0) for r in evaluation.reads if r.error is None]


def choose_review_floor(reads: Sequence[Read], accept_at: float,
                        min_right_share: float = DEFAULT_MIN_RIGHT_SHARE) -> ReviewFloor:
    """The lowest confidence (a multiple of STEP, at most ``accept_at``) from which a read is right at least
    ``min_right_share`` of the time, by an isotonic fit of rightness on confidence."""
    if not 0.0 < min_right_share <= 1.0:
        raise CalibrationProblem(f"the share of right reads worth a review must be in (0, 1], not {min_right_share}")
    texts = sorted((r for r in reads if r.confidence > 0), key=lambda r: r.confidence)
    unsure = [r for r in texts if r.confidence < accept_at]
    floor = accept_at
    if unsure:
        fitted = isotonic_regression(np.array([float(r.correct) for r in unsure])).x
        worth = np.flatnonzero(fitted >= min_right_share - 1e-12)
        if worth.size:
            first = int(worth[0])
            floor = 0.0 if first == 0 else math.floor(unsure[first].confidence / STEP + 1e-9) * STEP
    floor = round(min(floor, accept_at), 3)
    n = max(1, len(reads))
    reviewed = sum(floor <= r.confidence < accept_at for r in texts)
    withheld = sum(r.confidence < floor for r in texts)
    return ReviewFloor(floor, reviewed / n, withheld / n, min_right_share)


def choose_threshold(reads: Sequence[Read], max_wrong_accepted: float = DEFAULT_MAX_WRONG_ACCEPTED) -> Calibration:
    """The lowest threshold (a multiple of STEP, at least FLOOR) at which wrong yet accepted reads are at most
    ``max_wrong_accepted`` of all reads."""
    if not reads:
        raise CalibrationProblem("no reads to calibrate on")
    if not 0.0 <= max_wrong_accepted < 1.0:
        raise CalibrationProblem(f"the bound on wrong accepted reads must be in [0, 1), not {max_wrong_accepted}")
    allowed = math.floor(max_wrong_accepted * len(reads) + 1e-9)
    wrong = sorted((r.confidence for r in reads if not r.correct and r.confidence > 0), reverse=True)
    threshold = FLOOR
    if len(wrong) > allowed:
        first_refused = wrong[allowed]  # the most confident wrong read that must not pass
        threshold = max(FLOOR, (math.floor(first_refused / STEP + 1e-9) + 1) * STEP)
        if threshold > 1.0:
            raise CalibrationProblem(f"{len(wrong) - allowed + 1} wrong reads have confidence 1.0: no threshold keeps "
                                     "them out; this model cannot be trusted to act on its own")
    threshold = round(threshold, 3)
    accepted = [r for r in reads if r.confidence > 0 and r.confidence >= threshold]
    return Calibration(threshold, len(reads), len(accepted) / len(reads),
                       sum(not r.correct for r in accepted) / len(reads), max_wrong_accepted)


def write_threshold(config: Path, calibration: Calibration, date: str, review: ReviewFloor | None = None) -> None:
    """Write ``accept_threshold`` (and ``review_threshold``, when chosen) and ``calibrated_on`` into the model's
    config, keeping its other keys; the file is replaced whole, so a reader never sees half of it."""
    try:
        settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(config, "", "file not found") from None
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(config, "", f"cannot read ({str(err).splitlines()[0]})") from None
    if not isinstance(settings, dict):
        raise ConfigError(config, "", "not a model config (expected a mapping of keys)")
    settings["accept_threshold"] = calibration.threshold
    settings["calibrated_on"] = {"images": calibration.images, "date": date,
                                 "accepted": round(calibration.accepted_share, 4),
                                 "wrong_accepted": round(calibration.wrong_accepted_share, 5),
                                 "max_wrong_accepted": calibration.max_wrong_accepted}
    if review is not None:
        settings["review_threshold"] = review.threshold
        settings["calibrated_on"].update({"reviewed": round(review.reviewed_share, 4),
                                          "min_right_share": round(review.min_right_share, 4)})
    tmp = config.with_name(config.name + ".tmp")
    tmp.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    try:
        load_model_config(tmp)  # what was written still loads, before it replaces the config
    except ConfigError:
        tmp.unlink()
        raise
    tmp.replace(config)
