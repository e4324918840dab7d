"""Loading images for the reader: every bad file is one line, and a header claiming a huge size costs nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from baytwin.core.ocr.image_file import header_size, load_rgb
from baytwin.sim.imagery.plates import render_plate

from .images import write_huge_header_png, write_rgb


def test_a_png_claiming_100000_by_100000_pixels_is_refused_from_its_header(tmp_path: Path) -> None:
    huge = write_huge_header_png(tmp_path / "huge.png")
    assert header_size(huge) == (100_000, 100_000)
    assert load_rgb(huge) == "image too large (100000x100000 px)"


def test_a_real_image_loads_as_rgb(tmp_path: Path) -> None:
    plate = render_plate("AB12CDE", "uk", np.random.default_rng(1))
    path = write_rgb(tmp_path / "plate.png", plate.image)
    loaded = load_rgb(path)
    assert isinstance(loaded, np.ndarray) and loaded.shape == plate.image.shape
    assert np.array_equal(loaded, plate.image)  # RGB, not OpenCV's BGR


def test_missing_empty_and_corrupt_files_each_say_why(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG not really")
    (tmp_path / "folder.png").mkdir()
    assert load_rgb(tmp_path / "missing.png") == "no such file"
    assert load_rgb(tmp_path / "empty.png") == "not a readable image"
    assert load_rgb(tmp_path / "corrupt.png") == "not a readable image"
    assert load_rgb(tmp_path / "folder.png") == "not a file"
