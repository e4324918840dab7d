"""Training the plate recognizer on synthetic plates of many fonts and designs, and exporting it to ONNX.

Training is kept apart from inference: it needs PyTorch (the optional ``train``
extra, ``pip install torch==2.13.0``), inference needs only onnxruntime. The
data is made here, from seeds that evaluation never uses: most of it by the
world renderer (``sim.imagery.world_plates``: random strings of 1-10
characters, one or two lines, in the training half of the font pool, on many
plate designs), the rest by the format renderer that draws the plates a site
declares, and every kind through the degradations of ``sim.imagery.degrade``.
Held-out fonts and designs never enter training; the confidence is calibrated
on them, so the gate is set on plates unlike the ones the network learned.

The network is deliberately small (a few convolution blocks and residual
blocks, then a narrow head that reads each feature column) so that it reads
well over a thousand crops a second on two CPU cores. It is trained with CTC:
a reader whose output slots each stood for one character position learned
positions, not characters, and on text of a length or a placement it had not
seen it repeated, dropped or shifted characters.
Its ONNX graph takes uint8 NHWC crops and returns per-step probabilities
(``decoder: ctc`` in its config), so it is a drop-in for any runtime that
follows the same config.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import yaml

from baytwin.core.ocr.model_config import PlateModelConfig
from baytwin.core.ocr.recognizer import GENERAL_CONFIG, GENERAL_MODEL, fit_to_input
from baytwin.sim.imagery.world_plates import TWO_LINE_SHARE
from baytwin.sim.ocr_narrowing import CannotNarrow, feature_widths, narrowed, residual_blocks
from baytwin.sim.training_run import TrainingRunFolder

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
CONFIG = PlateModelConfig(
    max_plate_slots=80, alphabet=ALPHABET, pad_char="_", img_height=48, img_width=160,
    keep_aspect_ratio=False, interpolation="linear", image_color_mode="grayscale", padding_color=114, decoder="ctc",
    # the confidence is the probability of the whole text, which a right read shares with its near
    # alternatives: below 0.10 a read is rarely right (docs/ocr.md); the accept threshold is calibrated
    review_threshold=0.1,
    # a two-line plate squeezed into one input loses its small top line; unsure reads are tried line by line
    line_split_below=0.2,
)
#: A reader that sees colour (``TrainSettings.colour``). A character on a coloured band, or red on blue, can
#: keep almost no contrast in grey (nor through a monochrome camera); in colour it stays legible. Grey crops
#: (an infrared camera) arrive as three equal channels, and training shows it such crops too.
COLOUR_CONFIG = CONFIG.model_copy(update={"image_color_mode": "rgb"})
#: How cv2 (and the reader's own preprocessing) weighs red, green and blue into grey: a grey network's first
#: convolution spread over the three channels by these weights computes exactly what it did on grey.
LUMINANCE = (0.299, 0.587, 0.114)
#: The longest text the reader is trained to read (the world renderer draws 1 to this many characters).
MAX_TEXT = 10
#: CTC time steps per feature column, for each of the two sequences (a two-line plate's top line, then the
#: main line): 20 columns x 2 = 40 steps a line, enough for 10 characters with blanks between repeats.
STEPS_PER_COLUMN = 2
TRAIN_SEED_BASE = 1_000_000  # evaluation uses seeds below this; training never does
Progress = Callable[[str, float, float], None]  # (stage, done, total)

#: How often each severity is drawn for a degraded training crop (1..4). A small network fits what it
#: can: many severity-4 crops have no legible plate left (motion blur, snow, glare and steep angle read
#: under 5 % there), so they teach guessing and take capacity from the severities a site must read.
#: Training leans on severity 2; severities 3-4 stay in so the reader knows them and says "review".
TRAINING_SEVERITY_SHARE = (0.25, 0.45, 0.20, 0.10)

#: What the reader meets, for fitting its confidence: calibration keeps the broad severity mix, so a
#: training mix that leans on severity 2 does not make it bolder on the crops it cannot read.
CALIBRATION_SEVERITY_SHARE = (1 / 6, 2 / 6, 2 / 6, 1 / 6)

#: Residual blocks after the convolution stack, at 3 x 20 (see ``build_network``). Added after five
#: rounds of fine-tuning had plateaued: they start as no-ops, so earlier weights grow into them.
GROWN_BLOCKS = 2
#: Channels per position the head reads (a 1x1 convolution narrows the 128 of the backbone to these).
SQUEEZED = 64
#: Output channels of the first four convolutions (the fifth gives the 128 the residual blocks work on). A
#: narrower network reads faster: ``--widths`` with ``--init`` of a wider one keeps each layer's strongest
#: channels (``sim/ocr_narrowing.py``), and ``--teacher`` lets the wider one teach it what it read.
FEATURE_WIDTHS = (24, 48, 64, 96)


#: Share of the world renderer's training plates that carry two look-alikes (O and 0, I and 1 ...) side by
#: side, so the reader learns what tells them apart in each font rather than a prior (``with_lookalike_pair``).
LOOKALIKE_PAIR_SHARE = 0.3
#: Share of the world renderer's training plates seen from well off their axis and cut out by their upright
#: box (``turned_corners`` in ``world_plates.py``), as a phone or a street camera beside a car sees a plate
#: that the detector's box holds but the rectifier cannot straighten. Runs before seed 32 drew none.
TURNED_SHARE = 0.0
#: Share of the world renderer's training plates' ``0`` and ``1`` drawn as ``O`` and ``I`` instead
#: (``with_lookalike_letters``): runs before seed 34 drew none.
LOOKALIKE_LETTERS_SHARE = 0.0
#: Share of the world renderer's training plates whose characters are bent, thinned or rounded
#: (``reshaped_ink``), shapes between the training fonts' own: runs before seed 37 drew none.
RESHAPED_SHARE = 0.0


@dataclass(frozen=True)
class WorldMix:
    """What the world renderer's training plates carry beyond font and design: the share drawn with two
    look-alikes side by side, the share seen from well off their axis, the share of ``0`` and ``1`` drawn as
    letters, what a font that draws a pair as one glyph draws, the share whose characters are reshaped and
    the share drawn on two lines; and how every training crop, of any renderer, is fitted to the reader's input.
    One value for the whole path from the settings to each sample, so a new kind of plate is one field, not
    one more argument in five signatures."""

    lookalike_pairs: float = LOOKALIKE_PAIR_SHARE
    turned: float = TURNED_SHARE
    lookalike_letters: float = LOOKALIKE_LETTERS_SHARE  # share of 0 and 1 drawn as O and I
    avoid_ambiguous: bool = False  # draw no character a font draws exactly as its look-alike (else: as the digit)
    reshaped: float = RESHAPED_SHARE  # share whose characters are bent, thinned or rounded
    letterboxed: bool = False  # every training crop scaled whole onto the input (keep_aspect_ratio), not stretched
    two_line: float = TWO_LINE_SHARE  # share of plates of 3+ characters drawn on two lines (and every stacked one)
    detector_cuts: float = 0.0  # share of all training crops cut out of rendered frames as a site cuts them


#: Plates as the world renderer draws them for calibration and evaluation: neither pairs nor turns.
AS_DRAWN = WorldMix(lookalike_pairs=0.0, turned=0.0)


@dataclass(frozen=True)
class TrainSettings:
    samples: int = 60_000
    epochs: int = 10
    batch: int = 128
    learning_rate: float = 3e-3
    seed: int = 0
    workers: int = 2
    init: Path | None = None  # start from these weights (a .pt written beside an earlier model) to fine-tune
    init_backbone_only: bool = False  # take only the convolutions of ``init`` (a recognizer of another shape)
    labelled: tuple[Path, ...] = ()  # folders with labels.csv (a site's reviewed crops, real plates) to learn from too
    labelled_share: float = 0.3  # of the training set, when ``labelled`` is given: its crops repeated to fill it
    calibration_crops: int = 6_000  # for fitting the confidence temperature after training
    mixed_precision: bool = True  # bfloat16 where the CPU computes it natively: about twice as fast, same model
    run_folder: Path | None = None  # keep the rendered data and the state here, and continue from it when started again
    save_every: int = 40  # steps between saves of the state into ``run_folder``
    colour: bool = False  # read RGB crops (see COLOUR_CONFIG; one run so far read no better than grey, docs/ocr.md)
    blocks: int | None = None  # residual blocks at 3 x 20; None: as many as ``init`` has (GROWN_BLOCKS without it)
    widths: tuple[int, ...] | None = None  # the first four convolutions' channels; None: as ``init`` has (FEATURE_WIDTHS without it)
    teacher: Path | None = None  # a trained reader's .pt whose step probabilities the network learns as well as the labels
    teacher_weight: float = 1.0  # of the teacher's term beside the labels' CTC loss
    across_columns: bool | None = None  # an LSTM along the feature columns (``AcrossColumns``); None: as ``init`` has
    mix: WorldMix = WorldMix()  # what the world renderer's plates carry: look-alike pairs and letters, turns

    def fingerprint(self) -> dict[str, object]:
        """What decides the trained network: a run folder continues only a run with the same."""
        return {"samples": self.samples, "epochs": self.epochs, "batch": self.batch, "learning_rate": self.learning_rate,
                "seed": self.seed, "init": str(self.init) if self.init else None, "init_backbone_only": self.init_backbone_only,
                "labelled": [str(folder) for folder in self.labelled], "labelled_share": self.labelled_share,
                "targets": "line-aware", "colour": self.colour, "blocks": self.blocks,
                "across_columns": self.across_columns,
                **({"widths": list(self.widths)} if self.widths is not None else {}),
                **({"teacher": str(self.teacher), "teacher_weight": self.teacher_weight} if self.teacher else {}),
                **_changed_from_default(self.mix)}


def _changed_from_default(mix: WorldMix) -> dict[str, object]:
    """The fields of ``mix`` that differ from a plain ``WorldMix()``: only those enter a run's fingerprint,
    so run folders written before a field existed still continue."""
    default = WorldMix()
    return {name: getattr(mix, name) for name in WorldMix.__dataclass_fields__
            if getattr(mix, name) != getattr(default, name)}


# --- data ------------------------------------------------------------------------------------


def synthetic_sample(seed: int, degrade_share: float = 0.7, weights: dict[str, float] | None = None,
                     severity_share: tuple[float, ...] = TRAINING_SEVERITY_SHARE,
                     degradation_weight: dict[str, float] | None = None, letterbox: bool = False) -> tuple[np.ndarray, str]:
    """One plate crop as the renderer frames it (RGB, model-sized) and its text, fully determined by ``seed``.

    ``degradation_weight`` defaults to the training mix (:data:`DEGRADATION_WEIGHT`); a test that must
    not move when the training recipe does gives its own."""
    from baytwin.sim.imagery.plates import render_plate

    rng = np.random.default_rng(seed)
    fmt, text = _random_plate(rng, weights)
    plate = render_plate(text, fmt, rng)
    image = plate.image
    if rng.random() < degrade_share:
        image = _degrade(image, plate.corners, rng, severity_share, degradation_weight)
    return _model_input(image, letterbox), text


def framed_sample(seed: int, degrade_share: float = 0.6, weights: dict[str, float] | None = None,
                  severity_share: tuple[float, ...] = TRAINING_SEVERITY_SHARE, letterbox: bool = False) -> tuple[np.ndarray, str]:
    """A small plate cut out the way the reader cuts plates out of frames, imprecise corners and all.

    Bay cameras give plates 15-50 px high; the detector's corners are off by
    a few pixels, a grown character band or a too-loose box. The plate is
    rendered small with a wide border of car, its true corners are disturbed
    like that, and the crop is :func:`core.ocr.rectify.rectified_crop`.
    """
    from baytwin.core.ocr.rectify import rectified_crop
    from baytwin.sim.imagery.plates import render_plate

    rng = np.random.default_rng(seed)
    fmt, text = _random_plate(rng, weights)
    plate = render_plate(text, fmt, rng, char_height_px=float(rng.uniform(9, 32)), margin=0.8)
    image, corners = plate.image, plate.corners
    if rng.random() < degrade_share:
        image = _degrade(image, corners, rng, severity_share)
    return _model_input(rectified_crop(image, disturb_corners(corners, rng)), letterbox), text


def scene_sample(seed: int, degrade_share: float = 0.5, letterbox: bool = False) -> tuple[np.ndarray, str]:
    """The plate of a rendered bay-camera frame as the real detector and rectifier cut it out.

    When the detector misses the plate, the frame's true corners, disturbed,
    stand in for it, so every seed gives a sample.
    """
    from baytwin.core.ocr.detector import ClassicalDetector
    from baytwin.sim.imagery.scenes import render_scene

    rng = np.random.default_rng(seed)
    size = ((1280, 720), (1920, 1080))[int(rng.integers(2))]
    scene = render_scene(rng, size=size)
    return _model_input(_cut_from_frame(scene, rng, degrade_share, ClassicalDetector()), letterbox), scene.plate.text


#: Of the frames :func:`detector_cut_sample` renders, the share seen from the street rather than a bay camera.
DETECTOR_CUT_STREET_SHARE = 0.3
#: The random stream that decides which training seeds are detector cuts, apart from every sample's own.
DETECTOR_CUT_STREAM = 7


def detector_cut_sample(seed: int, degrade_share: float = 0.5, letterbox: bool = False) -> tuple[np.ndarray, str]:
    """The plate of a rendered bay-camera or street frame as a site cuts it out: the bundled learned
    detector's candidate in the bay's ROI, warped and set upright by the pipeline's own ``cut_out``.

    Read at the plate's true corners, the reader reads rendered frames 5-9 points better than through
    the detector (``ocr eval``'s ``at_labelled_corners``): the detector's crops run tall, loose or
    sheared in ways :func:`disturb_corners` does not draw, and :func:`scene_sample` cuts with the
    classical detector. When the detector misses the plate, the true corners, disturbed, stand in."""
    from baytwin.core.ocr.detector import bundled_detector
    from baytwin.core.ocr.roi import Roi
    from baytwin.sim.imagery.scenes import render_scene

    rng = np.random.default_rng(seed)
    size = ((1280, 720), (1920, 1080))[int(rng.integers(2))]
    viewpoint = "street" if rng.random() < DETECTOR_CUT_STREET_SHARE else "bay"
    scene = render_scene(rng, size=size, viewpoint=viewpoint)
    crop = _cut_from_frame(scene, rng, degrade_share, bundled_detector(), Roi(tuple(map(tuple, scene.roi))))
    return _model_input(crop, letterbox), scene.plate.text


def _cut_from_frame(scene, rng: np.random.Generator, degrade_share: float, detector, roi=None) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A rendered frame's plate, degraded with ``degrade_share`` odds, cut out by ``cut_out`` round the
    ``detector``'s candidate that holds the plate's centre (and lies in ``roi``, when given); the true
    corners, disturbed, when it finds none."""
    from baytwin.core.ocr.pipeline import cut_out
    from baytwin.core.ocr.rectify import rectified_crop
    from baytwin.sim.imagery.dataset import random_mix
    from baytwin.sim.imagery.degrade import apply_degradations

    image, corners = scene.image, scene.plate.corners
    if rng.random() < degrade_share:
        degraded = apply_degradations(image, random_mix(rng), rng, corners)
        image, corners = degraded.image, degraded.plate_corners
    cx, cy = corners.mean(axis=0)
    hits = [c for c in detector.detect(image)
            if (roi is None or roi.keeps(c.box)) and c.box[0] <= cx <= c.box[2] and c.box[1] <= cy <= c.box[3]]
    return cut_out(image, hits[0]) if hits else rectified_crop(image, disturb_corners(corners, rng))


def world_sample(seed: int, degrade_share: float = 0.6, fonts=None, designs: tuple[str, ...] | None = None,  # type: ignore[no-untyped-def]
                 severity_share: tuple[float, ...] = TRAINING_SEVERITY_SHARE, letterbox: bool = False) -> tuple[np.ndarray, str]:
    """A plate of the world renderer: any string, any training font, any training design; degraded or not."""
    image, text, _ = world_sample_lines(seed, degrade_share, fonts, designs, severity_share,
                                        mix=replace(AS_DRAWN, letterboxed=letterbox))
    return image, text


def world_sample_lines(seed: int, degrade_share: float = 0.6, fonts=None,  # type: ignore[no-untyped-def]
                       designs: tuple[str, ...] | None = None,
                       severity_share: tuple[float, ...] = TRAINING_SEVERITY_SHARE,
                       mix: WorldMix = AS_DRAWN) -> tuple[np.ndarray, str, int]:
    """:func:`world_sample` and how many characters stand on the plate's top line (0 for one line); ``mix``
    says what share of the plates carries two look-alikes side by side (``with_lookalike_pair``), what
    share is seen from well off its axis (``turned_corners``), what share of the ``0``s and ``1``s is drawn as
    letters (``with_lookalike_letters``), whether fonts that draw a pair alike draw it at all, what share
    has its characters reshaped (``reshaped_ink``) and what share is drawn on two lines."""
    from baytwin.sim.imagery.world_plates import (random_text, render_world_plate, with_lookalike_letters,
                                                  with_lookalike_pair)

    rng = np.random.default_rng(seed)
    text = random_text(rng)  # as the renderer would draw it: the same plate for the same seed without pairs
    text = with_lookalike_letters(text, mix.lookalike_letters, rng)  # draws nothing at share 0
    if _drawn(mix.lookalike_pairs, rng):
        text = with_lookalike_pair(text, rng)
    turn, reshape = _drawn(mix.turned, rng), _drawn(mix.reshaped, rng)
    plate = render_world_plate(rng, fonts if fonts is not None else _training_fonts(), text=text, designs=designs,
                               readable_labels=True, turned=turn, avoid_ambiguous=mix.avoid_ambiguous,
                               reshaped=reshape, two_line_share=mix.two_line)
    image = plate.image
    if rng.random() < degrade_share:
        image = _degrade(image, plate.corners, rng, severity_share)
    return _model_input(image, mix.letterboxed), plate.text, plate.top_line


def _drawn(share: float, rng: np.random.Generator) -> bool:
    """Whether this plate is one of ``share``; at share 0 nothing is drawn from ``rng``, so the plates of runs
    from before a kind of plate existed stay exactly as they were."""
    return bool(share) and rng.random() < share


def _training_fonts():  # type: ignore[no-untyped-def]
    from baytwin.sim.imagery.font_pool import training_fonts

    return training_fonts(require=TRAINING_FONTS_REQUIRED)


#: Fewer installed training fonts than this and training refuses to start (scripts/training-fonts.sh).
TRAINING_FONTS_REQUIRED = 40


def disturb_corners(corners: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """True plate corners moved the way a detector gets them wrong: grown, shifted, turned, noisy."""
    quad = np.asarray(corners, np.float32)
    centre = quad.mean(axis=0)
    along = (quad[1] - quad[0] + quad[2] - quad[3]) / 2
    across = (quad[3] - quad[0] + quad[2] - quad[1]) / 2
    height = float(np.linalg.norm(across))
    along = along * rng.uniform(0.97, 1.12)
    across = across * rng.uniform(0.92, 1.5)
    angle = np.deg2rad(rng.normal(0, 1.5))
    turn = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    along, across = turn @ along, turn @ across
    centre = centre + rng.normal(0, 0.06, 2).astype(np.float32) * height
    out = np.array([centre - along / 2 - across / 2, centre + along / 2 - across / 2,
                    centre + along / 2 + across / 2, centre - along / 2 + across / 2], np.float32)
    return out + rng.normal(0, 0.04, (4, 2)).astype(np.float32) * height


#: US plates (state name, slogan, stickers, dealer frame around small characters) are the hardest style
#: to read, so they are drawn twice as often as the others.
FORMAT_WEIGHT = {"us_ca": 2.0}

#: What the training set is made of, by share: renderer crops, detector-framed small crops, real scene cuts.
SAMPLE_KINDS: tuple[tuple[Callable[..., tuple[np.ndarray, str]], int], ...] = (
    (world_sample, 28), (synthetic_sample, 5), (framed_sample, 6), (scene_sample, 1),
)


def training_sample(seed: int, mix: WorldMix = WorldMix()) -> tuple[np.ndarray, str, int]:
    """The training set's sample ``seed`` and its top line's length (0: one line); its kind follows from the
    seed, in the shares of SAMPLE_KINDS. The format renderer draws one-line plates only; the world renderer's
    plates are drawn with ``mix``."""
    if mix.detector_cuts and np.random.default_rng([seed, DETECTOR_CUT_STREAM]).random() < mix.detector_cuts:
        return (*detector_cut_sample(seed, letterbox=mix.letterboxed), 0)
    total = sum(weight for _, weight in SAMPLE_KINDS)
    slot = seed % total
    for make, weight in SAMPLE_KINDS:
        if slot < weight:
            if make is world_sample:
                return world_sample_lines(seed, mix=mix)
            if make in (synthetic_sample, framed_sample):
                return (*make(seed, weights=FORMAT_WEIGHT, letterbox=mix.letterboxed), 0)
            return (*make(seed, letterbox=mix.letterboxed), 0)
        slot -= weight
    raise AssertionError("unreachable")


def _random_plate(rng: np.random.Generator, weights: dict[str, float] | None = None):  # type: ignore[no-untyped-def]
    """A format (uniform, or by ``weights``) and a random plate of it."""
    from baytwin.core.plates import load_formats
    from baytwin.sim.imagery.plates import random_plate_text

    formats = list(load_formats())
    if weights:
        shares = np.array([weights.get(f, 1.0) for f in formats])
        fmt = formats[int(rng.choice(len(formats), p=shares / shares.sum()))]
    else:
        fmt = formats[int(rng.integers(len(formats)))]
    return fmt, random_plate_text(fmt, rng)


#: Degradations the reader finds hardest at severity 2 (flakes or a bar over a character, a foreshortened
#: plate) are drawn more often than the rest, which the network learns from fewer examples.
DEGRADATION_WEIGHT = {"snow": 6.0, "occlusion": 5.0, "steep_angle": 2.5, "motion_blur": 2.0, "glare": 2.0, "dirt": 1.5}


def _degrade(image: np.ndarray, corners: np.ndarray, rng: np.random.Generator,
             severity_share: tuple[float, ...] = TRAINING_SEVERITY_SHARE,
             degradation_weight: dict[str, float] | None = None) -> np.ndarray:
    from baytwin.sim.imagery.degrade import REGISTRY, degrade

    names = sorted(REGISTRY)
    weight = DEGRADATION_WEIGHT if degradation_weight is None else degradation_weight
    shares = np.array([weight.get(name, 1.0) for name in names])
    chosen = rng.choice(names, size=int(rng.integers(1, 3)), replace=False, p=shares / shares.sum())
    mix = {str(name): int(rng.choice(4, p=severity_share)) + 1 for name in chosen}
    return degrade(image, mix, rng, plate_corners=corners)


def _model_input(image: np.ndarray, letterbox: bool = False) -> np.ndarray:
    """The crop at the reader's size, in RGB (a grey image as three equal channels), stretched or
    ``letterbox``-ed as the recognizer fits it (:func:`fit_to_input`); :func:`to_grey` for a grey reader."""
    import cv2

    rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image
    return fit_to_input(rgb, _input_config(letterbox))


def _input_config(letterbox: bool, colour: bool = True) -> PlateModelConfig:
    """The reader's config as training fits crops to it and exports it."""
    return (COLOUR_CONFIG if colour else CONFIG).model_copy(update={"keep_aspect_ratio": letterbox})


def to_grey(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) RGB crops -> (N, H, W, 1) grey, weighed as the reader's preprocessing does."""
    import cv2

    return np.stack([cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in images])[..., None]


def _render_batch(seeds: list[int], mix: WorldMix = WorldMix()) -> tuple[np.ndarray, list[str], list[int]]:
    images, texts, top_lines = zip(*(training_sample(s, mix) for s in seeds))
    return np.stack(images), list(texts), list(top_lines)


#: A target's last column when nobody knows where a plate's lines split (a labelled real crop).
LINES_UNKNOWN = -1


class LabelledProblem(ValueError):
    """A labelled folder cannot be trained on; the message names the file and row."""


def load_labelled(folders: tuple[Path, ...], letterbox: bool = False) -> tuple[np.ndarray, list[str], list[int]]:
    """RGB crops (N, H, W, 3), texts and top-line lengths from folders with a ``labels.csv`` (``file``, ``plate``):
    a site's reviewed reads (``live review export``) or real plates prepared by ``scripts/real_plates.py``.

    A row whose optional ``lines`` column says 1 is a one-line plate (top line 0); any other is
    :data:`LINES_UNKNOWN`: a two-line plate's split is not in its label. Whole frames are not crops;
    rows whose image is missing or unreadable are skipped and counted, and a folder with nothing
    usable is refused."""
    import cv2

    from baytwin.core.csv_rows import read_csv_rows
    from baytwin.core.plates import sanitize

    images, texts, top_lines = [], [], []
    for folder in folders:
        labels = folder / "labels.csv"
        columns, rows = read_csv_rows(labels, lambda reason: LabelledProblem(f"{labels}: {reason}"),
                                      "no such file (a labelled folder needs labels.csv with file,plate)")
        if not rows or not {"file", "plate"} <= set(columns):
            raise LabelledProblem(f"{labels}: needs the columns file and plate")
        for row in rows:
            text = sanitize(row["plate"] or "")
            if not text or len(text) > MAX_TEXT or any(ch not in ALPHABET[:-1] for ch in text):
                continue
            image = cv2.imread(str(folder / row["file"]), cv2.IMREAD_COLOR)  # a grey file comes as three equal channels
            if image is None or image.size == 0:
                continue
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            images.append(fit_to_input(image, _input_config(letterbox).model_copy(update={"interpolation": "area"})))
            texts.append(text)
            top_lines.append(0 if (row.get("lines") or "").strip() == "1" else LINES_UNKNOWN)
    if not texts:
        raise LabelledProblem(f"{', '.join(str(f) for f in folders)}: no readable labelled crop")
    return np.stack(images), texts, top_lines


def make_dataset(first_seed: int, n: int, workers: int, progress: Progress | None = None,
                 mix: WorldMix = WorldMix()) -> tuple[np.ndarray, np.ndarray]:
    """``n`` RGB crops (N, H, W, 3) uint8 and their targets (:func:`encode`)."""
    if n <= 0:
        return np.zeros((0, CONFIG.img_height, CONFIG.img_width, 3), np.uint8), encode([])
    chunks = [list(range(first_seed + i, first_seed + min(i + 500, n))) for i in range(0, n, 500)]
    images, texts, top_lines = [], [], []
    with get_context("spawn").Pool(workers) as pool:
        render = partial(_render_batch, mix=mix)
        for done, (batch, batch_texts, batch_tops) in enumerate(pool.imap(render, chunks), 1):
            images.append(batch)
            texts += batch_texts
            top_lines += batch_tops
            if progress:
                progress("render", done * 500, n)
    return np.concatenate(images), encode(texts, top_lines)


def encode(texts: list[str], top_lines: list[int] | None = None) -> np.ndarray:
    """Targets (N, MAX_TEXT + 1): the characters as class indices (padded), then the top line's length
    (0 for a one-line plate, :data:`LINES_UNKNOWN` where the split is not known)."""
    pad = ALPHABET.index(CONFIG.pad_char)
    out = np.full((len(texts), MAX_TEXT + 1), pad, dtype=np.int64)
    for i, text in enumerate(texts):
        for j, ch in enumerate(text[:MAX_TEXT]):
            out[i, j] = ALPHABET.index(ch)
        out[i, MAX_TEXT] = LINES_UNKNOWN if top_lines is None else top_lines[i]
    return out


def line_aware_ctc(log_probs, targets, blank: int):  # type: ignore[no-untyped-def]
    """CTC loss over the reader's two sequences, each told its own line where the split is known.

    The network's steps are a top-line sequence and then a main-line one.
    Trained on the two concatenated, CTC may put a one-line plate's first
    characters in either, and a reader unsure which drops them from both
    (the general reader lost leading characters that way on a third of
    held-out crops). So where the renderer knows the split, the top
    sequence learns the top line (blank for a one-line plate) and the
    main sequence the rest; a crop of unknown split (a labelled real
    plate) is scored on the concatenation, as before. Each sample's loss
    is divided by its text's length, as ``nn.CTCLoss``'s mean does.
    """
    import torch
    import torch.nn.functional as F

    chars, top = targets[:, :MAX_TEXT], targets[:, MAX_TEXT]
    steps, n = log_probs.shape[0], log_probs.shape[1]
    half = steps // 2
    lengths = (chars != blank).sum(dim=1)
    known = top >= 0
    top_len = torch.where(known, top, 0).clamp(max=lengths)
    position = torch.arange(MAX_TEXT).expand(n, MAX_TEXT)
    top_chars = torch.where(position < top_len[:, None], chars, blank)
    main_len = lengths - top_len
    shifted = torch.gather(chars, 1, (position + top_len[:, None]).clamp(max=MAX_TEXT - 1))
    main_chars = torch.where(position < main_len[:, None], shifted, blank)

    def ctc(lp, tg, in_len: int, tg_len):  # type: ignore[no-untyped-def]
        return F.ctc_loss(lp, tg, torch.full((n,), in_len, dtype=torch.long), tg_len, blank=blank,
                          reduction="none", zero_infinity=True)

    split = ctc(log_probs[:half], top_chars, half, top_len) + ctc(log_probs[half:], main_chars, steps - half, main_len)
    if not bool(known.all()):  # a batch of rendered plates alone needs no loss over the concatenation
        split = torch.where(known, split, ctc(log_probs, chars, steps, lengths))
    return (split / lengths.clamp(min=1)).mean()


#: How much the teacher's step probabilities are softened before the network learns them: at 1 a trained
#: CTC reader's steps are nearly all one class, and its second choices (what a character could also be)
#: are lost; at 2 they carry over.
TEACHER_TEMPERATURE = 2.0


def teacher_loss(logits, taught, targets, blank: int):  # type: ignore[no-untyped-def]
    """How far the network's step probabilities are from a teacher's (KL divergence, both softened by
    :data:`TEACHER_TEMPERATURE`), summed over the steps and divided by the text's length as
    :func:`line_aware_ctc` is, so the two terms weigh alike whatever the text's length.

    Why a teacher: a narrower network started from a wide reader's strongest
    channels has lost part of what it read; learning the wide reader's whole
    distribution at every step, not only the label's characters, brings it back
    in far fewer steps than the labels alone, and keeps the wide reader's
    sense of which reads are close calls, which the gate relies on.
    """
    import torch.nn.functional as F

    t = TEACHER_TEMPERATURE
    lengths = (targets[:, :MAX_TEXT] != blank).sum(dim=1).clamp(min=1)
    per_step = F.kl_div(F.log_softmax(logits / t, dim=-1), F.log_softmax(taught / t, dim=-1), log_target=True,
                        reduction="none").sum(dim=-1)  # (N, steps)
    return (t * t * per_step.sum(dim=1) / lengths).mean()


# --- the network --------------------------------------------------------------------------------


def build_network(channels: int = 3, blocks: int = GROWN_BLOCKS, across_columns: bool = False,  # type: ignore[no-untyped-def]
                  widths: tuple[int, ...] = FEATURE_WIDTHS):
    import torch
    from torch import nn

    def block(c_in: int, c_out: int, pool: tuple[int, int] | None) -> list[nn.Module]:
        layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        if pool:
            layers.append(nn.MaxPool2d(pool))
        return layers

    class Residual(nn.Module):
        """Two more convolutions whose output is added to their input.

        The last batch norm starts at zero, so a new block computes nothing at
        first: weights trained before the block existed load into the grown
        network and give exactly the same reads, and fine-tuning then puts the
        block to use. That is how the reader gains capacity without training
        from scratch.
        """

        def __init__(self, channels: int) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels), nn.ReLU(inplace=True),
                nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
            )
            nn.init.zeros_(self.body[-1].weight)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(x + self.body(x))

    class AcrossColumns(nn.Module):
        """A bidirectional LSTM along the feature columns, its output added to what each column holds.

        The head reads a column and its two neighbours: three of twenty, about
        one character's width. Whether a stroke is a character of its own or
        part of its neighbour, and how long the text is, are told by the
        whole plate, which the LSTM carries along the row in both directions.
        Its projection starts at zero, so weights trained without it load into
        the network and read exactly as before (as with ``Residual``).
        """

        def __init__(self, features: int, hidden: int = 128) -> None:
            super().__init__()
            self.lstm = nn.LSTM(features, hidden, batch_first=True, bidirectional=True)
            self.project = nn.Linear(2 * hidden, features)
            nn.init.zeros_(self.project.weight)
            nn.init.zeros_(self.project.bias)

        def forward(self, f: torch.Tensor) -> torch.Tensor:
            """(N, features, cols) -> the same, with the whole row's context added."""
            along, _ = self.lstm(f.transpose(1, 2))
            return f + self.project(along).transpose(1, 2)

    class PlateNet(nn.Module):
        """uint8 NHWC crop (RGB, or grey for ``channels=1``) -> CTC step probabilities (N, 80, alphabet), the pad character as blank.

        Each of the 20 feature columns sees the whole height (the three rows
        kept apart) and a column on either side, and speaks for two steps of
        two sequences: a two-line plate's top line, then the main line. The
        text is the top sequence's characters followed by the main one's; a
        one-line plate leaves the top sequence blank. CTC ties no character
        to a slot, so every length reads alike and a character drawn a little
        left or right is the same character.
        """

        def __init__(self) -> None:
            super().__init__()
            w1, w2, w3, w4 = widths  # the bundled reader's: 24, 48, 64, 96
            self.features = nn.Sequential(
                *block(channels, w1, (2, 2)),  # w1 x 24 x 80
                *block(w1, w2, (2, 2)),     # w2 x 12 x 40
                *block(w2, w3, None),
                *block(w3, w4, (2, 2)),     # w4 x 6 x 20
                *block(w4, 128, (2, 1)),    # 128 x 3 x 20
            )
            self.context = nn.Sequential(*(Residual(128) for _ in range(blocks)))  # 128 x 3 x 20
            self.squeeze = nn.Sequential(nn.Conv2d(128, SQUEEZED, 1, bias=False), nn.BatchNorm2d(SQUEEZED), nn.ReLU(inplace=True))
            self.dropout = nn.Dropout(0.2)
            rows = CONFIG.img_height // 16
            self.across = AcrossColumns(SQUEEZED * rows) if across_columns else nn.Identity()
            self.head = nn.Conv1d(SQUEEZED * rows, 2 * STEPS_PER_COLUMN * len(ALPHABET), 3, padding=1)

        def logits(self, x: torch.Tensor) -> torch.Tensor:
            x = x.permute(0, 3, 1, 2).float() / 255.0
            return self.steps(self.squeeze(self.context(self.features(x))))

        def steps(self, f: torch.Tensor) -> torch.Tensor:
            """(N, C, rows, cols) features -> (N, steps, classes) logits."""
            n, c, rows, cols = f.shape
            steps = self.head(self.dropout(self.across(f.reshape(n, c * rows, cols))))  # (N, 2 * S * K, cols)
            steps = steps.view(n, 2, STEPS_PER_COLUMN, len(ALPHABET), cols).permute(0, 1, 4, 2, 3)
            return steps.reshape(n, 2 * cols * STEPS_PER_COLUMN, len(ALPHABET))  # top line's steps, then the main line's

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.softmax(self.logits(x), dim=-1)

    return PlateNet()


class WeightsMismatch(ValueError):
    """The weights given to start from are not this recognizer's."""


@dataclass(frozen=True)
class SavedLayout:
    """The shape of the network saved in a .pt where it can vary (blocks, LSTM, channels): the rest is fixed."""

    blocks: int  # residual blocks (0 for weights from before there were any)
    across_columns: bool  # an ``AcrossColumns`` LSTM
    widths: tuple[int, ...] = FEATURE_WIDTHS  # the first four convolutions' output channels


def saved_layout(path: Path) -> SavedLayout:
    """The shape of the network saved at ``path`` (read once: a .pt is megabytes)."""
    import torch

    try:
        state = torch.load(path, map_location="cpu")
        return SavedLayout(blocks=len(residual_blocks(state)), across_columns=any(key.startswith("across.") for key in state),
                           widths=feature_widths(state))
    except Exception as err:  # pickle, zip and type errors alike: not weights at all
        raise WeightsMismatch(f"{path}: not weights of this recognizer ({str(err).splitlines()[0]})") from None


def load_weights(net, path: Path, backbone_only: bool = False, narrow: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Start ``net`` from the weights at ``path``, an earlier run's .pt.

    Weights from before the residual blocks (or the ``AcrossColumns`` LSTM)
    were added lack only those; they start as no-ops (see ``Residual``), so
    the grown network reads exactly as the saved one did. Weights of a grey
    reader load into a colour one with the first convolution spread over red, green and blue by
    :data:`LUMINANCE`, so it too starts reading exactly as before. With
    ``backbone_only`` only the convolutions are taken (the head of a recognizer
    with another input size or slot count does not fit, and starts afresh).
    With ``narrow``, weights of a wider network (more channels, more residual
    blocks) are cut down to ``net``'s shape first (``sim/ocr_narrowing.py``).
    Anything else that does not match is refused.
    """
    import torch

    try:
        state = torch.load(path, map_location="cpu")
        first, wanted = state.get("features.0.weight"), net.state_dict()["features.0.weight"]
        if first is not None and first.shape[1] == 1 and wanted.shape[1] == 3:
            state["features.0.weight"] = first * torch.tensor(LUMINANCE, dtype=first.dtype).view(1, 3, 1, 1)
        if narrow:
            own = net.state_dict()
            state = narrowed(state, feature_widths(own), min(len(residual_blocks(own)), len(residual_blocks(state))))
        if backbone_only:
            state = {k: v for k, v in state.items() if k.startswith(("features.", "context."))}
        missing, unexpected = net.load_state_dict(state, strict=False)
    except CannotNarrow as err:
        raise WeightsMismatch(f"{path}: {err}") from None
    except Exception as err:  # torch raises pickle, zip and shape errors alike; none of them is usable weights
        raise WeightsMismatch(f"{path}: not weights of this recognizer ({str(err).splitlines()[0]})") from None
    fresh = ("context.", "across.", "squeeze.", "head.") if backbone_only else ("context.", "across.")
    not_grown = [key for key in missing if not key.startswith(fresh)]
    if not_grown or unexpected:
        raise WeightsMismatch(f"{path}: not weights of this recognizer (missing {not_grown[:3]}, unexpected {unexpected[:3]})")


# --- training and export ------------------------------------------------------------------------------


def train(out_model: Path = GENERAL_MODEL, out_config: Path = GENERAL_CONFIG, settings: TrainSettings = TrainSettings(),
          progress: Progress | None = None) -> dict[str, float]:
    """Render data, train, export ONNX and its config; returns held-out figures."""
    import torch

    torch.manual_seed(settings.seed)
    had = saved_layout(settings.init) if settings.init is not None else SavedLayout(0, False)
    # by default as many blocks as the weights have (a narrowed reader stays as narrow); weights from before
    # there were any grow the bundled number
    blocks = settings.blocks if settings.blocks is not None else (had.blocks or GROWN_BLOCKS)
    widths = settings.widths if settings.widths is not None else had.widths
    across = settings.across_columns if settings.across_columns is not None else had.across_columns
    if had.across_columns and not across:
        raise WeightsMismatch(f"{settings.init}: has an LSTM across the columns; a network without one cannot start from it")
    channels = 3 if settings.colour else 1
    net = build_network(channels, blocks, across, widths).to(memory_format=torch.channels_last)  # NHWC: about a sixth faster
    if settings.init is not None:  # before rendering: wrong weights are refused at once, not after many minutes
        # fewer channels or blocks than the weights have: keep their strongest ones (sim/ocr_narrowing.py)
        load_weights(net, settings.init, settings.init_backbone_only, narrow=widths != had.widths or blocks < had.blocks)
    teacher = _teacher(settings.teacher, channels) if settings.teacher is not None else None
    run = TrainingRunFolder(settings.run_folder, settings.fingerprint()) if settings.run_folder else None
    images, targets = run.dataset(lambda: _training_set(settings, progress)) if run else _training_set(settings, progress)
    x, y = torch.from_numpy(images), torch.from_numpy(targets)
    steps = settings.epochs * math.ceil(len(x) / settings.batch)
    optimizer = torch.optim.AdamW(net.parameters(), lr=settings.learning_rate, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, settings.learning_rate, total_steps=steps)
    blank = ALPHABET.index(CONFIG.pad_char)
    generator = torch.Generator().manual_seed(settings.seed)
    bf16 = settings.mixed_precision and _native_bfloat16()
    step, first_epoch, first_start, order = 0, 0, 0, None
    saved = run.last_state() if run else None
    if saved is not None:  # a run stopped earlier: continue where its last save left it
        net.load_state_dict(saved["net"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        generator.set_state(saved["generator"])
        torch.set_rng_state(saved["dropout_rng"])
        step, first_epoch, first_start, order = saved["step"], saved["epoch"], saved["start"], saved["order"]
    for epoch in range(first_epoch, settings.epochs):
        net.train()
        if order is None:
            order = torch.randperm(len(x), generator=generator)
        for start in range(first_start, len(x), settings.batch):
            idx = order[start:start + settings.batch]
            batch = _augment(x[idx], generator, settings.colour)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = net.logits(batch)
            log_probs = logits.float().log_softmax(-1).permute(1, 0, 2)  # (steps, N, classes), as CTC wants
            loss = line_aware_ctc(log_probs, y[idx], blank)
            if teacher is not None:
                with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    taught = teacher.logits(batch)
                loss = loss + settings.teacher_weight * teacher_loss(logits.float(), taught.float(), y[idx], blank)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            if progress and step % 20 == 0:
                progress("train", step, steps)
            if run and step % settings.save_every == 0:
                run.save({"net": net.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                          "generator": generator.get_state(), "dropout_rng": torch.get_rng_state(), "step": step, "epoch": epoch,
                          "start": start + settings.batch, "order": order})
        order, first_start = None, 0
    out_model.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), out_model.with_suffix(".pt"))  # for fine-tuning later; not needed at run time
    export(net, out_model, out_config, _input_config(settings.mix.letterboxed, settings.colour))
    temperature = calibrate_temperature(out_model, out_config, settings.calibration_crops, settings.workers)
    return {"train_samples": float(len(x)), "epochs": float(settings.epochs), "temperature": temperature}


def _teacher(path: Path, channels: int):  # type: ignore[no-untyped-def]
    """The trained reader at ``path`` (a .pt), in evaluation mode, to teach a network its step probabilities."""
    import torch

    layout = saved_layout(path)
    net = build_network(channels, layout.blocks, layout.across_columns, layout.widths)
    load_weights(net, path)
    return net.to(memory_format=torch.channels_last).eval()


def _training_set(settings: TrainSettings, progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
    """Rendered crops and their targets, with the labelled folders' crops repeated to their share."""
    synthetic = settings.samples
    if settings.labelled:
        real_images, real_texts, real_tops = load_labelled(settings.labelled, settings.mix.letterboxed)
        repeats = max(1, round(settings.samples * settings.labelled_share / len(real_texts)))
        synthetic = max(0, settings.samples - repeats * len(real_texts))
    images, targets = make_dataset(TRAIN_SEED_BASE + settings.seed * 10_000_000, synthetic, settings.workers, progress,
                                   settings.mix)
    if settings.labelled:
        images = np.concatenate([images, np.tile(real_images, (repeats, 1, 1, 1))])
        targets = np.concatenate([targets, np.tile(encode(real_texts, real_tops), (repeats, 1))])
    return (images if settings.colour else to_grey(images)), targets  # a run folder keeps them as the reader sees them


def _native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX); elsewhere it would be emulated, and slower."""
    import torch

    probe = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)  # not public API: absent means no
    return bool(probe and probe())


def _augment(batch, generator, colour: bool = False):  # type: ignore[no-untyped-def]
    """Cheap per-batch jitter on top of the renderer's variety: brightness, contrast, shifts; for a colour
    reader also colours it has not seen (channels swapped, each channel's gain) and grey crops (a monochrome
    camera), so it learns what colour tells about characters, not the renderer's palette."""
    import torch

    b = batch.float()
    n = b.shape[0]
    if colour:
        swap = torch.rand(n, generator=generator) < 0.5
        order = torch.stack([torch.randperm(3, generator=generator) for _ in range(n)])
        order[~swap] = torch.arange(3)
        b = torch.gather(b, 3, order[:, None, None, :].expand_as(b))
        b = b * (0.85 + 0.3 * torch.rand(n, 1, 1, 3, generator=generator))
        grey = (b * torch.tensor(LUMINANCE)).sum(dim=3, keepdim=True).expand_as(b)
        b = torch.where(torch.rand(n, 1, 1, 1, generator=generator) < 0.25, grey, b)
    gain = 0.6 + 0.8 * torch.rand(n, 1, 1, 1, generator=generator)
    bias = -40 + 80 * torch.rand(n, 1, 1, 1, generator=generator)
    b = (b - 128) * gain + 128 + bias
    shift = int(torch.randint(-3, 4, (1,), generator=generator))
    b = torch.roll(b, shifts=shift, dims=2)
    invert = torch.rand(n, 1, 1, 1, generator=generator) < 0.1  # light on dark reads like dark on light
    b = torch.where(invert, 255 - b, b)
    return b.clamp(0, 255).to(torch.uint8)


def export(net, out_model: Path, out_config: Path, config: PlateModelConfig = COLOUR_CONFIG) -> None:  # type: ignore[no-untyped-def]
    import torch

    net.eval()
    dummy = torch.zeros(1, config.img_height, config.img_width, config.channels, dtype=torch.uint8)
    out_model.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # The tracer warns about every Python-side check in nn.LSTM, and that an LSTM exported with a batch of
        # one may not read other batch sizes: it does (its initial state is built from the input's shape; a
        # test reads a batch of six through the exported file). Nothing for the person training to act on.
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size other than 1")
        torch.onnx.export(net, (dummy,), str(out_model), input_names=["input"], output_names=["probabilities"],
                          dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}}, opset_version=17,
                          dynamo=False)
    out_config.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), encoding="utf-8")


CALIBRATION_FIRST_SEED = 500_000  # neither training nor the evaluation seeds below 100_000
#: The first seed of the crops an 8-bit copy's ranges are measured on (`ocr quantize`): after calibration's.
QUANTIZE_FIRST_SEED = 700_000


def calibration_sample(seed: int, letterbox: bool = False) -> tuple[np.ndarray, str]:
    """A calibration crop, by seed: half plates training never drew (held-out fonts on every design,
    held-out designs included), half the format renderer's crops (clean, degraded, cut as from frames).

    Confidence fitted only on the training renderer would be confidence about
    plates the network knows; on held-out type it has to say "not sure".
    """
    from baytwin.sim.imagery.font_pool import held_out_fonts
    from baytwin.sim.imagery.world_plates import DESIGNS

    kind = seed % 4
    if kind >= 2:
        crop, text = world_sample(seed, degrade_share=0.5, fonts=held_out_fonts(), designs=DESIGNS,
                                  severity_share=CALIBRATION_SEVERITY_SHARE, letterbox=letterbox)
    elif kind == 1:
        crop, text = framed_sample(seed, severity_share=CALIBRATION_SEVERITY_SHARE, letterbox=letterbox)
    else:
        crop, text = synthetic_sample(seed, float(seed % 8 == 4), severity_share=CALIBRATION_SEVERITY_SHARE,
                                      letterbox=letterbox)
    return crop, text


def calibrate_temperature(model: Path, config: Path, crops: int = 6_000, workers: int = 2,
                          max_wrong_accepted: float = 0.002, gate: float = 0.90) -> float:
    """Temperature scaling of the exported model, so its confidence means what the gate assumes.

    A network's raw confidence is not the gate's: dividing the logits by a
    temperature sharpens (below 1) or softens (above 1) them; the largest
    sharpening (from 2.0 down) is chosen whose
    wrong reads above the gate stay under ``max_wrong_accepted`` on
    ``crops`` calibration crops (:func:`calibration_sample`). Thousands are
    needed: the bound is 12 wrong reads of 6,000, where 1,200 crops allowed
    2 and one crop could swing the choice.
    The temperature is written into the ONNX graph and noted in the config.
    """
    from baytwin.core.ocr.recognizer import FORMAT_CONFIG, FORMAT_MODEL, Recognizer

    recognizer = Recognizer(model, config)
    seeds = range(CALIBRATION_FIRST_SEED, CALIBRATION_FIRST_SEED + crops)
    # fitted as the model's config says it reads (letterboxed or stretched), so its confidence is calibrated on that
    sample = partial(calibration_sample, letterbox=recognizer.config.keep_aspect_ratio)
    with get_context("spawn").Pool(workers) as pool:
        images, texts = zip(*pool.map(sample, seeds, chunksize=250))
    logits = np.log(np.clip(recognizer.probabilities(list(images)), 1e-12, 1.0))
    # a temperature never changes the most likely class, so what is read (and whether it is right) is fixed;
    # only how sure the read is moves with it
    reads = recognizer.read(list(images))
    correct = np.array([r.text == t for r, t in zip(reads, texts)])
    segments = [_confidence_segments(row, recognizer._pad) for row in logits.argmax(-1)]
    chosen = 2.0
    for temperature in np.round(np.arange(2.0, 0.295, -0.01), 2):  # steps fine enough not to waste accuracy
        z = logits / temperature
        z -= z.max(axis=-1, keepdims=True)
        q = np.exp(z)
        top = (q.max(-1) / q.sum(axis=-1))
        confidence = np.array([np.maximum.reduceat(p, starts).min() if read.text else 0.0
                               for p, starts, read in zip(top, segments, reads)])
        if np.mean((confidence >= gate) & ~correct) <= max_wrong_accepted:
            chosen = float(temperature)
    _bake_temperature(model, chosen)
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["calibrated_temperature"] = chosen
    config.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return chosen


def _confidence_segments(best: np.ndarray, blank: int) -> np.ndarray:
    """Where each unit of a CTC read's confidence starts: a run of one character is one unit (as sure as its
    surest step), each blank step another (a read is no surer than its least sure blank)."""
    starts = [0]
    for i in range(1, len(best)):
        if best[i] == blank or best[i] != best[i - 1]:
            starts.append(i)
    return np.array(starts)


def _bake_temperature(model: Path, temperature: float) -> None:
    """Insert ``logits / temperature`` before the graph's final Softmax."""
    import onnx
    from onnx import helper, numpy_helper

    graph_model = onnx.load(str(model))
    graph = graph_model.graph
    softmax = next(n for n in reversed(graph.node) if n.op_type == "Softmax")
    scaled = softmax.input[0] + "_tempered"
    graph.initializer.append(numpy_helper.from_array(np.array(temperature, dtype=np.float32), "temperature"))
    divide = helper.make_node("Div", [softmax.input[0], "temperature"], [scaled], name="temperature_scaling")
    softmax.input[0] = scaled
    graph.node.insert(list(graph.node).index(softmax), divide)
    onnx.checker.check_model(graph_model)
    onnx.save(graph_model, str(model))


def held_out_accuracy(n: int = 2000, first_seed: int = 0) -> float:
    """Exact-plate accuracy of the committed model on crops from seeds training never sees."""
    from baytwin.core.ocr.recognizer import FORMAT_CONFIG, FORMAT_MODEL, Recognizer

    recognizer = Recognizer(FORMAT_MODEL, FORMAT_CONFIG)  # the format renderer's plates
    correct = 0
    for seed in range(first_seed, first_seed + n):
        image, text = synthetic_sample(seed)
        correct += recognizer.read([image])[0].text == text
    return correct / n
