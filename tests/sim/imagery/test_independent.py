"""The independent evaluation renderer: deterministic, honest labels, held-out fonts, readable files."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import cv2
import pytest

from baytwin.sim.imagery.independent import (DEGRADATION_COLUMNS, DESIGNS, HELD_OUT_FONT_DIR, HELD_OUT_FONTS, LABEL_COLUMNS,
                                     generate_independent)

N = 40


def _rows(labels: Path) -> list[dict[str, str]]:
    with labels.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_independent(tmp_path_factory.mktemp("mixed"), N, seed=3)


def test_same_seed_gives_identical_files(mixed: Path, tmp_path: Path) -> None:
    again = generate_independent(tmp_path, N, seed=3)
    assert again.read_bytes() == mixed.read_bytes()
    for row in _rows(mixed):
        assert (tmp_path / row["file"]).read_bytes() == (mixed.parent / row["file"]).read_bytes(), row["file"]


def test_another_seed_gives_other_plates(mixed: Path, tmp_path: Path) -> None:
    other = generate_independent(tmp_path, N, seed=4)
    assert [r["plate"] for r in _rows(other)] != [r["plate"] for r in _rows(mixed)]


def test_labels_are_compact_plates_of_2_to_8_characters(mixed: Path) -> None:
    rows = _rows(mixed)
    assert len(rows) == N
    assert list(rows[0]) == list(LABEL_COLUMNS)
    for row in rows:
        assert re.fullmatch(r"[A-Z0-9]{2,8}", row["plate"]), row
        assert row["design"] in DESIGNS


def test_two_line_labels_are_the_lines_concatenated(mixed: Path) -> None:
    import numpy as np

    from baytwin.sim.imagery.independent import random_plate_text

    two_line = [random_plate_text(np.random.default_rng([9, i]), True) for i in range(200)]
    for text in two_line:
        assert len(text.lines) == 2
        top, bottom = ("".join(groups) for groups in text.lines)
        assert text.label == top + bottom
        assert 2 <= len(top) <= len(bottom) and re.fullmatch(r"[A-Z0-9]{2,8}", text.label)
    assert any(row["design"] == "two_line" for row in _rows(mixed))


def test_only_held_out_fonts_are_used(mixed: Path) -> None:
    held_out = {Path(name).stem for name in HELD_OUT_FONTS}
    assert held_out == {p.stem for p in HELD_OUT_FONT_DIR.iterdir() if p.suffix in (".ttf", ".otf")}
    used = {row["font"] for row in _rows(mixed)}
    assert used <= held_out and len(used) >= 3


def test_files_are_readable_crops_20_to_60_pixels_high(mixed: Path) -> None:
    for row in _rows(mixed):
        assert not Path(row["file"]).is_absolute()
        image = cv2.imread(str(mixed.parent / row["file"]))
        assert image is not None, row["file"]
        assert 20 <= image.shape[0] <= 60 and image.shape[1] > image.shape[0] * 0.8


def test_mixed_severity_applies_0_to_2_mild_or_moderate_degradations(mixed: Path) -> None:
    counts = set()
    for row in _rows(mixed):
        levels = [int(row[c]) for c in DEGRADATION_COLUMNS]
        applied = [v for v in levels if v]
        counts.add(len(applied))
        assert len(applied) <= 2 and all(1 <= v <= 2 for v in applied)
        assert int(row["severity"]) == max(levels)
    assert counts == {0, 1, 2}


def test_severity_0_is_clean(tmp_path: Path) -> None:
    rows = _rows(generate_independent(tmp_path, 20, seed=1, severity=0))
    assert all(row[c] == "0" for row in rows for c in DEGRADATION_COLUMNS)
    assert all(row["severity"] == "0" for row in rows)


def test_fixed_severity_applies_that_strength(tmp_path: Path) -> None:
    for row in _rows(generate_independent(tmp_path, 20, seed=1, severity=2)):
        applied = [int(row[c]) for c in DEGRADATION_COLUMNS if row[c] != "0"]
        assert 1 <= len(applied) <= 2 and set(applied) == {2} and row["severity"] == "2"


def test_progress_and_bad_arguments(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    generate_independent(tmp_path, 3, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    with pytest.raises(ValueError):
        generate_independent(tmp_path, 3, severity=5)
    with pytest.raises(FileNotFoundError):
        generate_independent(tmp_path, 3, fonts=[tmp_path / "missing.ttf"])


def test_a_worker_pool_writes_the_same_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import baytwin.sim.imagery.independent as independent

    alone = generate_independent(tmp_path / "alone", 12, seed=8)
    monkeypatch.setattr(independent, "POOL_THRESHOLD", 4)
    pooled = generate_independent(tmp_path / "pooled", 12, seed=8)
    assert pooled.read_bytes() == alone.read_bytes()
    for row in _rows(alone):
        assert (pooled.parent / row["file"]).read_bytes() == (alone.parent / row["file"]).read_bytes()
