"""What a plate-recognition model expects and returns, as a small config file.

The keys are those of the fast-plate-ocr project's plate configs, so a site can
bring a published recognizer as a local ONNX file plus its YAML:

    max_plate_slots: 9          # characters the model outputs (padded)
    alphabet: "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
    pad_char: "_"               # the padding character, one of the alphabet
    img_height: 64
    img_width: 128
    keep_aspect_ratio: false    # letterbox instead of stretching
    interpolation: linear       # nearest | linear | cubic | area | lanczos4
    image_color_mode: grayscale # grayscale | rgb
    padding_color: [114, 114, 114]
    accept_threshold: 0.93      # optional: the gate's threshold `baytwin ocr calibrate` chose for this model
    review_threshold: 0.5       # optional: below it a read is unreadable, not worth a person's time
    decoder: slots              # optional: slots (default) | ctc
    line_split_below: 0.2       # optional: reads less sure than this are tried line by line (two-line plates)

The model takes uint8 NHWC input and returns one class distribution per slot.
With ``decoder: ctc`` the slots are time steps of a CTC model (``pad_char`` is
its blank): repeats are merged and blanks dropped, so the text's length is not
tied to slot positions.
A model's confidences mean what its training made them mean, so the threshold
that keeps wrong reads from being acted on belongs to the model, not to the
site: without ``accept_threshold`` the reader falls back to 0.90, without
``review_threshold`` to 0.50. A CTC model's confidence is the probability of
its whole text, which a right read shares with its near alternatives: its
review floor sits far lower (the bundled general reader's is 0.10).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from baytwin.core.config import load_yaml, validate


class PlateModelConfig(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # published configs carry extra keys

    max_plate_slots: int = Field(gt=0)  # slots, or a CTC model's time steps
    alphabet: str = Field(min_length=2)
    pad_char: str = Field(min_length=1, max_length=1)
    img_height: int = Field(gt=0)
    img_width: int = Field(gt=0)
    keep_aspect_ratio: bool = False
    interpolation: Literal["nearest", "linear", "cubic", "area", "lanczos4"] = "linear"
    image_color_mode: Literal["grayscale", "rgb"] = "grayscale"
    padding_color: int | tuple[int, int, int] = (114, 114, 114)
    decoder: Literal["slots", "ctc"] = "slots"
    accept_threshold: float | None = Field(None, ge=0, le=1)
    review_threshold: float | None = Field(None, ge=0, le=1)
    line_split_below: float = Field(0.0, ge=0, le=1)  # reads less sure than this are tried line by line

    @model_validator(mode="after")
    def _consistent(self) -> "PlateModelConfig":
        if self.pad_char not in self.alphabet:
            raise ValueError(f"pad_char {self.pad_char!r} is not in the alphabet")
        if len(set(self.alphabet)) != len(self.alphabet):
            raise ValueError("alphabet has repeated characters")
        return self

    @property
    def channels(self) -> int:
        return 1 if self.image_color_mode == "grayscale" else 3


def load_model_config(path: Path) -> PlateModelConfig:
    return validate(PlateModelConfig, load_yaml(path), path)
