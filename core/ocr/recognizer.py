"""Plate recognition with an ONNX model on onnxruntime.

The model reads a batch of plate crops (uint8, NHWC, sized and coloured as its
config says) and returns, for each of ``max_plate_slots`` slots, a distribution
over the alphabet. The text is the most likely character of each slot with the
padding removed; each character carries its probability, and a read is no more
certain than the model is that the plate ends where it says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import onnxruntime as ort

from core.ocr.model_config import PlateModelConfig, load_model_config
from core.ocr.voting import FrameRead

MODEL_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODEL_DIR / "plate_recognizer.onnx"
DEFAULT_CONFIG = MODEL_DIR / "plate_recognizer.yaml"

_INTERPOLATION = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
                  "area": cv2.INTER_AREA, "lanczos4": cv2.INTER_LANCZOS4}


class ModelProblem(Exception):
    """The model or its config cannot be used; the message says why."""


class Recognizer:
    def __init__(self, model: Path = DEFAULT_MODEL, config: PlateModelConfig | Path = DEFAULT_CONFIG,
                 threads: int | None = None) -> None:
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
        c = self.config
        interpolation = _INTERPOLATION[c.interpolation]
        if not c.keep_aspect_ratio:
            return cv2.resize(image, (c.img_width, c.img_height), interpolation=interpolation)
        h, w = image.shape[:2]
        scale = min(c.img_width / w, c.img_height / h)
        resized = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interpolation)
        pad = c.padding_color if isinstance(c.padding_color, int) else c.padding_color[0]
        canvas = np.full((c.img_height, c.img_width) + image.shape[2:], pad, dtype=np.uint8)
        if image.ndim == 3 and not isinstance(c.padding_color, int):
            canvas[:] = np.asarray(c.padding_color, dtype=np.uint8)
        top, left = (c.img_height - resized.shape[0]) // 2, (c.img_width - resized.shape[1]) // 2
        canvas[top:top + resized.shape[0], left:left + resized.shape[1]] = resized
        return canvas

    def probabilities(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """(N, slots, alphabet) class probabilities."""
        if not crops:
            return np.zeros((0, self.config.max_plate_slots, len(self.config.alphabet)), dtype=np.float32)
        out = self.session.run(None, {self._input: self.preprocess(crops)})[0]
        out = out.reshape(len(crops), self.config.max_plate_slots, len(self.config.alphabet)).astype(np.float32)
        if out.min() < 0 or not np.allclose(out.sum(axis=-1), 1.0, atol=1e-3):  # logits: make probabilities
            out = np.exp(out - out.max(axis=-1, keepdims=True))
            out /= out.sum(axis=-1, keepdims=True)
        return out

    def read(self, crops: Sequence[np.ndarray]) -> list[FrameRead]:
        """One read per crop: text without padding, a confidence per character."""
        alphabet = self.config.alphabet
        reads = []
        for probs in self.probabilities(crops):
            best = probs.argmax(axis=-1)
            confidence = probs.max(axis=-1)
            chars = [(alphabet[k], float(p)) for k, p in zip(best, confidence) if k != self._pad]
            pad_certainty = min((float(p) for k, p in zip(best, confidence) if k == self._pad), default=1.0)
            reads.append(FrameRead("".join(ch for ch, _ in chars),
                                   tuple(min(p, pad_certainty) for _, p in chars)))
        return reads
