"""Crafted headers in every format a camera might write: a claimed huge size is refused before any decoding,
and a format whose size cannot be read from its header is never handed to the decoder."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from baytwin.core.ocr.image_file import MAX_PIXELS, header_size, load_rgb
from baytwin.core.ocr.roi import Roi

from .images import write_huge_header_png, write_rgb


def _jpeg(width: int, height: int) -> bytes:
    """A baseline JPEG header (SOI, JFIF, a quantisation table, SOF0) claiming ``width`` x ``height``, no scan."""
    jfif = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes([1] * 64)
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + jfif + dqt + sof + b"\xff\xd9"


def _bmp(width: int, height: int) -> bytes:
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 0, 0, 0, 0)
    return b"BM" + struct.pack("<IHHI", 70, 0, 0, 54) + info + bytes(16)


def _webp(width: int, height: int) -> bytes:
    """An extended (VP8X) WebP header: the canvas size is stored minus one, in 24 bits."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes(4) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


@pytest.mark.parametrize(("name", "content", "claimed"), [
    ("huge.jpg", _jpeg(65_000, 65_000), "65000x65000"),
    ("wide.jpg", _jpeg(65_535, 1_000), "65535x1000"),
    ("huge.bmp", _bmp(100_000, 100_000), "100000x100000"),
    ("huge.pgm", b"P5\n100000 100000\n255\n" + bytes(64), "100000x100000"),
])
def test_a_huge_claimed_size_is_refused_from_the_header(tmp_path: Path, name: str, content: bytes, claimed: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert load_rgb(path) == f"image too large ({claimed} px)"


def test_a_webp_the_header_plugin_calls_a_bomb_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "huge.webp"
    path.write_bytes(_webp(16_384, 16_384))
    assert load_rgb(path) == "image too large (268,435,456 px)"


def test_a_png_claiming_two_billion_pixels_in_one_row_is_refused(tmp_path: Path) -> None:
    huge = write_huge_header_png(tmp_path / "row.png", width=2**31 - 1, height=1)
    assert load_rgb(huge) == f"image too large ({2**31 - 1}x1 px)"


@pytest.mark.parametrize(("name", "content"), [
    ("sky.hdr", b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 30000 +X 30000\n" + bytes(64)),  # OpenCV would decode
    ("depth.pfm", b"PF\n30000 30000\n-1.0\n" + bytes(64)),
    ("scene.exr", b"\x76\x2f\x31\x01\x02\x00\x00\x00" + bytes(64)),
])
def test_formats_whose_size_pillow_cannot_measure_are_not_decoded(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert header_size(path) is None
    assert load_rgb(path) == "not a readable image"


def test_an_ordinary_jpeg_just_under_the_limit_is_measured_not_refused(tmp_path: Path) -> None:
    path = write_rgb(tmp_path / "frame.jpg", np.zeros((48, 64, 3), np.uint8))
    assert header_size(path) == (64, 48)
    assert isinstance(load_rgb(path), np.ndarray)
    assert 7680 * 6000 <= MAX_PIXELS


@pytest.mark.parametrize("polygon", [
    ((0.0, 0.0), (float("nan"), 0.0), (10.0, 10.0)),
    ((0.0, 0.0), (float("inf"), 0.0), (10.0, 10.0)),
    ((0.0, 0.0), (1e12, 0.0), (10.0, 10.0)),
])
def test_an_roi_with_nan_infinite_or_absurd_coordinates_is_refused(polygon: tuple) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match="finite numbers of pixels"):
        Roi(polygon)
