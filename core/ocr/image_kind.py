"""Whether an image is a plate crop or a camera's whole frame, when nobody says.

The two are read differently: a crop goes straight to the recognizer, a frame
through the detector first. Guessing "crop" for a frame is the costly mistake:
the recognizer reads a squashed scene, and the detector never looks for the
plates in it. So only an image that is both shaped like a plate (with a
detector's loose margin) and small is a crop; a photo scaled down to a few
hundred pixels is still a frame. An image the detector finds no plate in, but
that could be a larger crop (a plate shaped image a little over the size
limit), is then read as a crop after all: nothing else can be made of it.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["crop", "scene"]

#: A crop's width/height: one-line plates with their margin (about 2.7-4.4 for EU and UK plates), down to
#: the squarer US and motorcycle plates (about 1.3-2).
CROP_ASPECT = (1.2, 6.0)
#: A crop is at most this high: a detector's crop of a plate whose characters are 30-60 px high.
CROP_MAX_HEIGHT = 200
#: Beyond CROP_MAX_HEIGHT, an image this high or less with a crop's shape may still be a crop at high
#: resolution (the renderer's square US crops reach 250 px); it is read as one when the detector finds no
#: plate in it. A 640x360 frame is above it.
LARGE_CROP_MAX_HEIGHT = 300


def _plate_shaped(width: int, height: int) -> bool:
    return height > 0 and CROP_ASPECT[0] <= width / height <= CROP_ASPECT[1]


def looks_like_crop(width: int, height: int) -> bool:
    """Plate-shaped and small: read it as a crop without looking for plates in it."""
    return _plate_shaped(width, height) and height <= CROP_MAX_HEIGHT


def could_be_crop(width: int, height: int) -> bool:
    """Plate-shaped and not much larger than a crop: a crop if the detector finds no plate in it."""
    return _plate_shaped(width, height) and height <= LARGE_CROP_MAX_HEIGHT


def guess_kind(width: int, height: int) -> Kind:
    """The first guess for an image of this size; a ``scene`` that ``could_be_crop`` may be re-read as a crop."""
    return "crop" if looks_like_crop(width, height) else "scene"
