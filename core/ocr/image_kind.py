"""Whether an image is a plate crop or a camera's whole frame, when nobody says.

The two are read differently: a crop goes straight to the recognizer, a frame
through the detector first. Guessing "crop" for a frame is the costly mistake:
the recognizer reads a squashed scene, and the detector never looks for the
plates in it. So only an image that is both shaped like a plate (with a
detector's loose margin) and small is a crop; a photo scaled down to a few
hundred pixels is still a frame. An image the detector finds no plate in, but
that could be a larger crop (a plate shaped image a little over the size
limit), is then read as a crop after all: nothing else can be made of it.

Size and shape alone cannot tell a small whole-car photo (a 320x180 thumbnail,
a 300x200 picture of one car) from a crop: both are small and wider than high.
What tells them apart is where the plate is: a crop is the plate, filling most
of its height, while in a photo of a car the plate is a small part of it. So a
small image that looks like a crop is looked at by the classical detector first (a
learned one, shown a crop scaled up to its input, takes parts of the big plate for
plates); a plate
found well inside it makes it a scene: the largest plate the detector finds is
lower than a third of the image and narrower than half of it. (In a crop the
largest find is the crop's own characters; a state name or a sticker beside
them may be small, but it is never the largest.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Kind = Literal["crop", "scene"]
Boxes = Sequence[tuple[int, int, int, int]]

#: A crop's width/height: one-line plates with their margin (about 2.7-4.4 for EU and UK plates), down to
#: the squarer US and motorcycle plates (about 1.3-2).
CROP_ASPECT = (1.2, 6.0)
#: A crop is at most this high: a detector's crop of a plate whose characters are 30-60 px high.
CROP_MAX_HEIGHT = 200
#: Beyond CROP_MAX_HEIGHT, an image this high or less with a crop's shape may still be a crop at high
#: resolution (the renderer's square US crops reach 250 px); it is read as one when the detector finds no
#: plate in it. A 640x360 frame is above it.
LARGE_CROP_MAX_HEIGHT = 300
#: A plate box at most this share of the image's height and ``PLATE_IN_SCENE_WIDTH`` of its width is a plate
#: in a photo, not the crop itself: in a crop the plate (one line of a two-line plate, even with a
#: detector's padding) fills well over a third of the height.
PLATE_IN_SCENE_HEIGHT = 0.35
PLATE_IN_SCENE_WIDTH = 0.5


#: Any plate crop's width/height, from a tall two-line motorcycle plate to a long one-line plate cut tight.
ANY_PLATE_ASPECT = (0.55, 9.0)


def _plate_shaped(width: int, height: int) -> bool:
    return height > 0 and CROP_ASPECT[0] <= width / height <= CROP_ASPECT[1]


def looks_like_crop(width: int, height: int) -> bool:
    """Plate-shaped and small: read it as a crop without looking for plates in it."""
    return _plate_shaped(width, height) and height <= CROP_MAX_HEIGHT


def could_be_crop(width: int, height: int) -> bool:
    """Plate-shaped and not much larger than a crop: a crop if the detector finds no plate in it."""
    return _plate_shaped(width, height) and height <= LARGE_CROP_MAX_HEIGHT


def holds_small_plate(width: int, height: int, boxes: Sequence[tuple[int, int, int, int]]) -> bool:
    """Whether the largest detected plate (boxes x1, y1, x2, y2) is a small part of the image: then the image is a
    photo around a plate, not a crop."""
    if not boxes:
        return False
    x1, y1, x2, y2 = max(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    return (y2 - y1) <= PLATE_IN_SCENE_HEIGHT * height and (x2 - x1) <= PLATE_IN_SCENE_WIDTH * width


def guess_kind(width: int, height: int, plates: Sequence[tuple[int, int, int, int]] | None = None) -> Kind:
    """The guess for an image of this size, and of the plates a detector found in it when given: a small
    plate-shaped image is a crop unless one of them is a small part of it. A ``scene`` that
    ``could_be_crop`` may still be re-read as a crop when the detector finds no plate in it."""
    if not looks_like_crop(width, height):
        return "scene"
    return "scene" if plates and holds_small_plate(width, height, plates) else "crop"


@dataclass(frozen=True, slots=True)
class KindDecision:
    """How to read one image: as a crop, or as a scene to detect plates in.

    ``may_fall_back``: a scene that could still be a large crop, to be read as one if the detector finds no
    plate in it (:func:`crop_after_all`). A small photo, in which a plate was already found well inside,
    never falls back."""

    kind: Kind
    may_fall_back: bool = False


def decide_kind(pixels: np.ndarray, said: str, find_plates: Callable[[np.ndarray], Boxes]) -> KindDecision:
    """How ``ocr read`` reads ``pixels`` when the user said ``said`` (auto, crop or scene).

    ``find_plates`` is the classical detector's boxes: only a small plate-shaped image is looked at with it
    (a learned detector, shown a crop scaled up to its input, finds parts of the big plate as plates)."""
    if said in ("crop", "scene"):
        return KindDecision(said)  # type: ignore[arg-type]
    height, width = pixels.shape[:2]
    if not looks_like_crop(width, height):
        return KindDecision("scene", may_fall_back=could_be_crop(width, height))
    if guess_kind(width, height, find_plates(pixels)) == "scene":
        return KindDecision("scene")  # a small photo: a plate was found well inside it
    return KindDecision("crop")


def labelled_kind(width: int, height: int, said: str) -> Kind:
    """How ``ocr eval`` reads an image its labels give no ROI for, when the user said ``said``.

    A labelled set is a collection, not one image a user is looking at: most are all crops (of every
    shape: square two-line and motorcycle plates, long plates cut tight) or all whole photos. So every
    image a crop could be (a plate's proportions, :data:`ANY_PLATE_ASPECT`, and no higher than
    ``LARGE_CROP_MAX_HEIGHT``) is read as a crop, and only a larger one as a photo. :func:`decide_kind`'s
    look for a plate inside a small image is not used: on rendered crops, a state name or a slogan line is
    sometimes all the classical detector finds, and the crop would be read as a photo of that line."""
    if said in ("crop", "scene"):
        return said  # type: ignore[return-value]
    plate_like = height > 0 and ANY_PLATE_ASPECT[0] <= width / height <= ANY_PLATE_ASPECT[1]
    return "crop" if plate_like and height <= LARGE_CROP_MAX_HEIGHT else "scene"


def crop_after_all(decision: KindDecision, plates_found: int) -> bool:
    """Whether a scene the detector found no plate in is read as a crop after all: only an image that could
    be a large crop (nothing else can be made of it)."""
    return decision.may_fall_back and plates_found == 0
