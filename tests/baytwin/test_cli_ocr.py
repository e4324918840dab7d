"""``baytwin ocr generate`` as QA uses it."""

from __future__ import annotations

import csv
from pathlib import Path

from .test_cli import baytwin


def test_generate_writes_images_and_labels(tmp_path: Path) -> None:
    out = tmp_path / "set"
    result = baytwin("ocr", "generate", "--out", str(out), "--n", "4", "--format", "uk", "--degrade", "rain=2,mud=1",
                     "--seed", "5")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((out / "labels.csv").open()))
    assert len(rows) == 4
    assert all(r["format"] == "uk" and r["rain"] == "2" and r["dirt"] == "1" for r in rows)
    assert all((out / r["file"]).is_file() for r in rows)


def test_generate_scenes_records_the_roi(tmp_path: Path) -> None:
    out = tmp_path / "scenes"
    assert baytwin("ocr", "generate", "--out", str(out), "--n", "2", "--scene").returncode == 0
    rows = list(csv.DictReader((out / "labels.csv").open()))
    assert rows[0]["roi"].startswith("[[")


def test_unknown_degradation_or_severity_is_a_clear_error(tmp_path: Path) -> None:
    for bad, message in (("smog=2", "unknown degradation"), ("rain=7", "severity must be 0-4")):
        result = baytwin("ocr", "generate", "--out", str(tmp_path / "x"), "--degrade", bad)
        assert result.returncode == 2 and message in result.stderr


def test_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    result = baytwin("ocr", "generate", "--out", str(tmp_path / "x"), "--format", "mars")
    assert result.returncode == 2 and "unknown plate format" in result.stderr
