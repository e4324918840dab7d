"""Loading an image file for the reader, or saying in one line why it cannot be read.

A batch of images from a site (or from anyone) may hold a file that is
missing, empty, corrupt, or whose header claims a size no camera delivers
(a PNG saying 100000x100000 decodes into tens of gigabytes, and OpenCV stops
the whole process with an assertion). The header is read first, without
decoding a pixel, so such a file costs nothing and gets its own error while
the rest of the batch is read. Only a file whose header Pillow can measure is
handed to OpenCV: OpenCV also decodes formats Pillow does not know (Radiance
HDR, OpenEXR, PFM), whose size would then go unchecked, and no camera writes
those.
"""

from __future__ import annotations

import re
import struct
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

#: The largest image the reader decodes: an 8K frame is 33 megapixels; this leaves room for a 7680x6000 still.
MAX_PIXELS = 50_000_000


# What Pillow's plugins raise on bytes that are not (or not quite) their format; Image.open itself catches the
# first four, and crafted headers reach the others.
_NOT_THIS_FORMAT = (SyntaxError, IndexError, TypeError, struct.error, ValueError, OSError, EOFError, KeyError,
                    ZeroDivisionError, AttributeError, OverflowError, MemoryError, RecursionError)


class _TooLarge(Exception):
    """A Pillow plugin refused the header as a decompression bomb; ``pixels`` is the size it claims."""

    def __init__(self, pixels: int) -> None:
        super().__init__(pixels)
        self.pixels = pixels


def header_size(path: Path) -> tuple[int, int] | None:
    """The (width, height) an image file's header claims, without decoding it; None if no format knows it.

    Pillow's ``Image.open`` reads only the header, but refuses a huge one without saying its size; its format
    plugins are asked directly, the way ``Image.open`` asks them, so the message can name the size."""
    try:
        with path.open("rb") as f:
            prefix = f.read(16)
            if not prefix:
                return None
            Image.init()
            for name in Image.ID:
                factory, accept = Image.OPEN[name]
                try:
                    accepted = True if accept is None else accept(prefix)  # a 1-byte file trips some checks
                    if isinstance(accepted, str) or not accepted:  # a string is Pillow's warning, not a yes
                        continue
                    f.seek(0)
                    width, height = factory(f, str(path)).size
                except Image.DecompressionBombError as err:  # some plugins check the size themselves
                    claimed = re.search(r"\((\d+) pixels\)", str(err))
                    raise _TooLarge(int(claimed[1]) if claimed else MAX_PIXELS + 1) from None
                except _NOT_THIS_FORMAT:
                    continue  # crafted or corrupt bytes: this plugin does not recognise them
                return int(width), int(height)
    except OSError:
        return None
    return None


def load_rgb(path: Path) -> np.ndarray | str:
    """The file's pixels as RGB uint8, or the one-line reason there are none."""
    if not path.exists():
        return "no such file"
    if not path.is_file():
        return "not a file"
    try:
        with warnings.catch_warnings():  # "Corrupt EXIF data" and the like: the one line below says it
            warnings.simplefilter("ignore")
            size = header_size(path)
    except _TooLarge as err:
        return f"image too large ({err.pixels:,} px)"
    if size is None:  # no format a camera writes, or a header too broken to measure: never handed to OpenCV
        return "not a readable image"
    if size[0] * size[1] > MAX_PIXELS:
        return f"image too large ({size[0]}x{size[1]} px)"
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # its own "[ERROR] can't read data" lines
    try:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    except cv2.error:  # a header Pillow could not read, and that OpenCV refuses
        return "not a readable image"
    finally:
        cv2.utils.logging.setLogLevel(level)
    if image is None or image.size == 0:
        return "not a readable image"
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
