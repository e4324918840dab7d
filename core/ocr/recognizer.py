"""Plate recognition with an ONNX model on onnxruntime.

The model reads a batch of plate crops (uint8, NHWC, sized and coloured as its
config says) and returns, for each of ``max_plate_slots`` slots, a distribution
over the alphabet. The text is the most likely character of each slot with the
padding removed; each character carries its probability, and a read is no more
certain than the model is that the plate ends where it says. A CTC model
(``decoder: ctc``) is read the CTC way: the slots are time steps, a run of the
same character is one character, the pad character is the blank; a character
is as certain as the surest step of its run, no more certain than the least
sure blank (a blank the model hesitated over may hide a character), and the
read as a whole is as certain as the probability the model gives its whole
text (``core/ocr/ctc.py``): that is what the gate judges.

A caller may ask for a second look at unsure reads (the pipeline does, for
every read its gate would not accept at once): the same crop, shifted by a
pixel or two in four directions, is read again. A flake or a bar that turns
one stroke into another fools the model at one position more than at its
neighbours, so the views outvote it. A slot model's five distributions are
averaged slot by slot. A CTC model's are not: a shift moves a character's
steps, and the average of two views whose peaks sit one step apart is two
half-peaks that a blank outweighs, so a character seen in every view could
vanish from the average. Each text some view reads is instead scored by the
probability the views give it on average (each view's CTC forward pass), and
the most probable wins (:func:`marginal_reads`). Shifted views of one image
are not independent evidence, though: the second look may change the text and
lift a read to review, but never to the gate's acceptance; only one clear
view, or the vote of several frames, gets there.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import onnxruntime as ort

from baytwin.core.ocr.ctc import ctc_chars, text_probabilities
from baytwin.core.ocr.model_config import PlateModelConfig, load_model_config
from baytwin.core.ocr.quantize import int8_reads_exactly
from baytwin.core.ocr.voting import FrameRead

MODEL_DIR = Path(__file__).resolve().parent / "models"
#: The general reader: any letters and digits, in fonts and designs it never saw, and real plates.
GENERAL_MODEL = MODEL_DIR / "general_reader.onnx"
GENERAL_CONFIG = MODEL_DIR / "general_reader.yaml"
#: The format reader: the declared formats as the twin draws them (docs/ocr.md); almost nothing else.
FORMAT_MODEL = MODEL_DIR / "plate_recognizer.onnx"
FORMAT_CONFIG = MODEL_DIR / "plate_recognizer.yaml"
#: The general reader's 8-bit copy (`baytwin ocr quantize`, its gate calibrated again): as accurate on every
#: evaluation set and about twice as fast on a CPU with 8-bit dot products (docs/ocr.md, "The 8-bit reader").
GENERAL_INT8_MODEL = MODEL_DIR / "general_reader_int8.onnx"
GENERAL_INT8_CONFIG = MODEL_DIR / "general_reader_int8.yaml"
#: What reads a plate unless a model is named: real plates are not the twin's. The 8-bit copy where this CPU
#: runs it as it was measured (:func:`int8_reads_exactly`), else the float model.
DEFAULT_MODEL, DEFAULT_CONFIG = ((GENERAL_INT8_MODEL, GENERAL_INT8_CONFIG) if int8_reads_exactly()
                                 else (GENERAL_MODEL, GENERAL_CONFIG))

#: The second look's extra views: (dx, dy) pixel shifts of the model input. Two views moved both ways at once
#: read as many of the 2,600 calibration crops right (75.2 %) as the four that moved one way each (74.9 %),
#: with as many reads above the review floor and the same accepted ones, at half the second look's cost; one
#: view read 74.2 %, none 72.0 % (docs/ocr.md, "Two views, not four").
SECOND_LOOK_SHIFTS = ((2, -1), (-2, 1))

_INTERPOLATION = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
                  "area": cv2.INTER_AREA, "lanczos4": cv2.INTER_LANCZOS4}


class ModelProblem(Exception):
    """The model or its config cannot be used; the message says why."""


class Recognizer:
    def __init__(self, model: Path = DEFAULT_MODEL, config: PlateModelConfig | Path = DEFAULT_CONFIG,
                 threads: int | None = None) -> None:
        self.model = Path(model)  # which model this is, for a person (or a test) to check
        self.config = config if isinstance(config, PlateModelConfig) else load_model_config(config)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types
            raise ModelProblem(f"{model}: cannot load the model ({str(err).splitlines()[0]})") from None
        self._input = self.session.get_inputs()[0].name
        self._pad = self.config.alphabet.index(self.config.pad_char)

    def identity(self) -> dict[str, str]:
        """Which model this is, for a report or a record to say what read: its file's name and the first 16 hex
        digits of its SHA-256 (the default differs by CPU, and a site may bring its own)."""
        return {"model": self.model.name, "sha256": self._digest}

    @functools.cached_property
    def _digest(self) -> str:  # hashed once, when first asked: a site asks at start-up, a report once
        return hashlib.sha256(self.model.read_bytes()).hexdigest()[:16] if self.model.is_file() else ""

    def preprocess(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """RGB uint8 crops -> the model's uint8 NHWC batch."""
        c = self.config
        batch = np.empty((len(crops), c.img_height, c.img_width, c.channels), dtype=np.uint8)
        for i, crop in enumerate(crops):
            image = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if c.channels == 1 and crop.ndim == 3 else crop
            if c.channels == 3 and image.ndim == 2:
                image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
            batch[i] = self._fit(image).reshape(c.img_height, c.img_width, c.channels)
        return batch

    def _fit(self, image: np.ndarray) -> np.ndarray:
        return fit_to_input(image, self.config)

    def probabilities(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """(N, slots, alphabet) class probabilities, one view each."""
        if not crops:
            return np.zeros((0, self.config.max_plate_slots, len(self.config.alphabet)), dtype=np.float32)
        return self._run(self.preprocess(crops))

    def _decoded(self, out: np.ndarray, capped_at: float = 1.0, capped: np.ndarray | None = None) -> list[FrameRead]:
        """The reads of ``out`` (N, slots, alphabet); rows marked in ``capped`` stay below ``capped_at``."""
        alphabet = self.config.alphabet
        ctc = self.config.decoder == "ctc"
        decoded = []
        for n, probs in enumerate(out):
            best = probs.argmax(axis=-1)
            confidence = probs.max(axis=-1)
            if capped is not None and capped[n]:
                confidence = np.minimum(confidence, capped_at)
            chars = ctc_chars(best, confidence, self._pad) if ctc else \
                [(int(k), float(p)) for k, p in zip(best, confidence) if k != self._pad]
            pad_certainty = min((float(p) for k, p in zip(best, confidence) if k == self._pad), default=1.0)
            decoded.append(("".join(alphabet[k] for k, _ in chars), tuple(min(p, pad_certainty) for _, p in chars),
                            [k for k, _ in chars]))
        if not ctc:
            return [FrameRead(text, sure) for text, sure, _ in decoded]
        whole = text_probabilities(out, [label for _, _, label in decoded], self._pad)
        if capped is not None:
            whole = np.where(capped, np.minimum(whole, capped_at), whole)
        return [FrameRead(text, sure, float(p) if text else 0.0) for (text, sure, _), p in zip(decoded, whole)]

    def _run(self, batch: np.ndarray) -> np.ndarray:
        # At most RUN_CHUNK crops per run: the runtime holds every layer's output for the whole batch, and
        # thousands of crops at once (a calibration, a folder) took over 20 GB; the speed is the same.
        out = np.concatenate([self.session.run(None, {self._input: batch[i:i + RUN_CHUNK]})[0]
                              for i in range(0, max(1, len(batch)), RUN_CHUNK)])
        out = out.reshape(len(batch), self.config.max_plate_slots, len(self.config.alphabet)).astype(np.float32)
        if out.min() < 0 or not np.allclose(out.sum(axis=-1), 1.0, atol=1e-3):  # logits: make probabilities
            out = np.exp(out - out.max(axis=-1, keepdims=True))
            out /= out.sum(axis=-1, keepdims=True)
        return out

    def read(self, crops: Sequence[np.ndarray], second_look_below: float = 0.0) -> list[FrameRead]:
        """One read per crop: text without padding, a confidence per character, and for a CTC model the
        probability of the whole text.

        Reads less certain than ``second_look_below`` get the second look and stay below it."""
        if not crops:
            return []
        batch = self.preprocess(crops)
        out = self._run(batch)
        first = self._decoded(out)
        if second_look_below <= 0:
            return first
        unsure = np.array([read.confidence for read in first]) < second_look_below
        if not unsure.any():
            return first
        # all shifted views in one run: small batches waste the model's time
        shifted = self._run(np.concatenate([_shifted(batch[unsure], dx, dy) for dx, dy in SECOND_LOOK_SHIFTS]))
        views = np.concatenate([out[unsure][None],
                                shifted.reshape(len(SECOND_LOOK_SHIFTS), int(unsure.sum()), *out.shape[1:])])
        again = iter(self._looked_again(views, second_look_below))
        return [next(again) if looked else read for read, looked in zip(first, unsure)]

    def _looked_again(self, views: np.ndarray, below: float) -> list[FrameRead]:
        """The second look's reads of (views, N, slots, alphabet), each held just below ``below``."""
        if self.config.decoder != "ctc":  # slots stay put when the crop moves: their distributions average
            short_of_it = float(np.nextafter(np.float32(below), np.float32(0)))
            return self._decoded(views.mean(axis=0), short_of_it, np.ones(views.shape[1], dtype=bool))
        return [read.held_below(below) for read in marginal_reads(views, self._pad, self.config.alphabet)]


#: The most crops the model runs on at once (see ``Recognizer._run``).
RUN_CHUNK = 256


def fit_to_input(image: np.ndarray, config: PlateModelConfig) -> np.ndarray:
    """``image`` at the model's input size: stretched, or (``keep_aspect_ratio``) scaled whole and centred
    on the padding colour. Training fits its crops with this too, so a reader sees at work what it learned on."""
    interpolation = _INTERPOLATION[config.interpolation]
    if not config.keep_aspect_ratio:
        return cv2.resize(image, (config.img_width, config.img_height), interpolation=interpolation)
    h, w = image.shape[:2]
    scale = min(config.img_width / w, config.img_height / h)
    resized = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interpolation)
    pad = config.padding_color if isinstance(config.padding_color, int) else config.padding_color[0]
    canvas = np.full((config.img_height, config.img_width) + image.shape[2:], pad, dtype=np.uint8)
    if image.ndim == 3 and not isinstance(config.padding_color, int):
        canvas[:] = np.asarray(config.padding_color, dtype=np.uint8)
    top, left = (config.img_height - resized.shape[0]) // 2, (config.img_width - resized.shape[1]) // 2
    canvas[top:top + resized.shape[0], left:left + resized.shape[1]] = resized
    return canvas


def marginal_reads(views: np.ndarray, blank: int, alphabet: str) -> list[FrameRead]:
    """One CTC read per crop of (views, N, steps, classes): of the texts the views read (each view's greedy
    text, and the text of their averaged steps), the one the views find most probable on average.

    The read is as sure as that average probability; its characters are as sure as in the view that read
    the text most surely (or, when no single view read it, as in the averaged steps)."""
    reads: list[FrameRead] = []
    for start in range(0, views.shape[1], MARGINAL_CHUNK):  # every view of every candidate text in one pass
        reads += _marginal_chunk(views[:, start:start + MARGINAL_CHUNK], blank, alphabet)
    return reads


#: Crops whose candidate texts are scored in one CTC forward pass (bounds its memory to some 100 MB).
MARGINAL_CHUNK = 64


def _marginal_chunk(views: np.ndarray, blank: int, alphabet: str) -> list[FrameRead]:
    n_views, n = views.shape[:2]
    best, sure = views.argmax(axis=-1), views.max(axis=-1)
    mean = views.mean(axis=0)
    per_view = [[ctc_chars(best[v, i], sure[v, i], blank) for v in range(n_views)] for i in range(n)]
    averaged = [ctc_chars(mean[i].argmax(axis=-1), mean[i].max(axis=-1), blank) for i in range(n)]
    spelt = [[tuple(k for k, _ in chars) for chars in per_view[i]] for i in range(n)]  # each view's text
    # the candidates: every text a view read, and the averaged steps' text, each once, in that order
    texts = [list(dict.fromkeys(spelt[i] + [tuple(k for k, _ in averaged[i])])) for i in range(n)]
    rows = [(v, i, label) for i in range(n) for v in range(n_views) for label in texts[i]]
    scored = text_probabilities(views[[v for v, _, _ in rows], [i for _, i, _ in rows]],
                                [list(label) for _, _, label in rows], blank)
    reads, at = [], 0
    for i in range(n):
        k = len(texts[i])
        scores = scored[at:at + n_views * k].reshape(n_views, k)  # (views, texts)
        at += n_views * k
        chosen = int(scores.mean(axis=0).argmax())
        label = texts[i][chosen]
        if not label:
            reads.append(FrameRead("", (), 0.0))
            continue
        readers = [v for v in range(n_views) if spelt[i][v] == label]
        chars = per_view[i][max(readers, key=lambda v: scores[v, chosen])] if readers else averaged[i]
        reads.append(FrameRead("".join(alphabet[c] for c in label), tuple(p for _, p in chars),
                               float(scores[:, chosen].mean())))
    return reads


def _shifted(batch: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Each image of an NHWC batch moved by (dx, dy) pixels, edges repeated into the gap."""
    h, w = batch.shape[1:3]
    ys = np.clip(np.arange(h) - dy, 0, h - 1)
    xs = np.clip(np.arange(w) - dx, 0, w - 1)
    return np.ascontiguousarray(batch[:, ys][:, :, xs])
