"""Any bytes as an image file: the reader's loader returns pixels or one line saying why not, never raises.

Random bytes rarely look like an image, so most examples start from real PNG, JPEG, BMP, WebP and TIFF files
and change a few header bytes: claimed sizes, bit depths, chunk lengths."""

from __future__ import annotations

import io
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from baytwin.core.ocr.image_file import load_rgb

from .conftest import EXAMPLES


def _encoded(fmt: str) -> bytes:
    rgb = np.random.default_rng(3).integers(0, 255, (24, 40, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=fmt)
    return buffer.getvalue()


REAL = {fmt: _encoded(fmt) for fmt in ("PNG", "JPEG", "BMP", "WEBP", "TIFF", "PPM", "GIF")}
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_names = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("images")


def _loaded_or_one_line(folder: Path, content: bytes) -> None:
    path = folder / f"image-{next(_names)}.png"
    path.write_bytes(content)
    try:
        result = load_rgb(path)
    finally:
        path.unlink()
    if isinstance(result, str):
        assert result and "\n" not in result
    else:
        assert result.ndim == 3 and result.shape[2] == 3 and result.dtype == np.uint8


@FUZZ
@given(content=st.binary(max_size=600))
def test_arbitrary_bytes(folder: Path, content: bytes) -> None:
    _loaded_or_one_line(folder, content)


@FUZZ
@given(fmt=st.sampled_from(sorted(REAL)), data=st.data())
def test_real_images_with_header_bytes_changed(folder: Path, fmt: str, data: st.DataObject) -> None:
    raw = bytearray(REAL[fmt])
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, min(len(raw), 64) - 1))
        raw[at] = data.draw(st.one_of(st.integers(0, 255), st.sampled_from([0x00, 0x7F, 0x80, 0xFF])))
    if data.draw(st.booleans()):
        del raw[data.draw(st.integers(8, len(raw))):]  # and truncated
    _loaded_or_one_line(folder, bytes(raw))


def test_a_batch_of_broken_files_is_one_line_each_and_the_good_one_is_read(tmp_path: Path) -> None:
    """Through ``ocr read`` itself: each bad file gets its own error line, the batch goes on, exit code 1."""
    rng = np.random.default_rng(11)
    bad = []
    for i, fmt in enumerate(sorted(REAL)):
        raw = bytearray(REAL[fmt])
        raw[rng.integers(4, 24)] ^= 0xFF
        raw[rng.integers(4, 24)] ^= 0x5A
        bad.append(tmp_path / f"bad-{i}.{fmt.lower()}")
        bad[-1].write_bytes(bytes(raw[: rng.integers(10, len(raw))]))
    bad.append(tmp_path / "random.jpg")
    bad[-1].write_bytes(rng.integers(0, 256, 400, dtype=np.uint8).tobytes())
    good = tmp_path / "good.png"
    good.write_bytes(REAL["PNG"])
    result = subprocess.run([sys.executable, "-m", "baytwin", "ocr", "read", *map(str, bad), str(good), "--kind", "crop"],
                            capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1)
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == result.returncode * len(errors)  # exit 1 exactly when some file failed
    assert all(line.split(": error: ")[0].startswith(str(tmp_path)) for line in errors)
    assert len(errors) == len({line.split(": error: ")[0] for line in errors})  # one line per bad file
    assert f"{good}: " in result.stdout  # the good file was read
