"""Bad input at the command line, as a user meets it: one ``error:`` line and exit code 2, never a traceback,
and nothing simulated before the mistake is reported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO = """
name: tiny
days: 1
site: {id: tiny, ev_bays: 2}
population:
  staff:
    arrivals_per_day: {weekday: 4, weekend: 1}
    stay_h: {dist: uniform, min: 1, max: 3}
"""


def baytwin(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baytwin", *args], capture_output=True, text=True, timeout=120)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "\x1b" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(SCENARIO)
    return path


@pytest.mark.parametrize(("content", "problem"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "a binary file, not YAML text"),
    (SCENARIO.replace("tiny", "t\xefny").encode("latin-1"), "not UTF-8 text (byte 0xef on line 2)"),
])
def test_sim_validate_of_a_binary_or_latin1_file(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(content)
    line = one_error_line(baytwin("sim", "validate", str(path)))
    assert "scenario.yaml" in line and problem in line


@pytest.mark.parametrize("content", [b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "site: {id: caf\xe9}\n".encode("latin-1")])
def test_live_run_with_a_binary_or_latin1_site_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "site.yaml"
    path.write_bytes(content)
    line = one_error_line(baytwin("live", "run", "--site", str(path)))
    assert "site.yaml" in line and ("binary file" in line or "not UTF-8" in line)


def test_out_naming_an_existing_file_is_refused_before_the_run(tiny: Path, tmp_path: Path) -> None:
    target = tmp_path / "results.txt"
    target.write_text("keep me\n")
    line = one_error_line(baytwin("sim", "run", str(tiny), "--out", str(target)))
    assert line == f"error: --out {target}: is a file, not a folder (give a folder for the results)"
    assert target.read_text() == "keep me\n"


def test_out_below_an_existing_file_is_refused_before_the_run(tiny: Path, tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("x")
    line = one_error_line(baytwin("sim", "run", str(tiny), "--out", str(tmp_path / "notes" / "run1")))
    assert "is a file, so no folder can be made in it" in line


@pytest.mark.parametrize("days", ["0", "-3", "nan", "inf"])
def test_days_must_be_above_zero(tiny: Path, tmp_path: Path, days: str) -> None:
    line = one_error_line(baytwin("sim", "run", str(tiny), "--out", str(tmp_path / "out"), f"--days={days}"))
    assert line.startswith("error: --days: must be a number of days above 0")
    assert not (tmp_path / "out").exists()


def test_sweep_days_must_be_above_zero(tiny: Path, tmp_path: Path) -> None:
    line = one_error_line(baytwin("sweep", str(tiny), "--grid", "grace_min=1,2", "--out", str(tmp_path / "s"),
                                  "--days", "0"))
    assert "--days" in line


def test_an_argument_that_looks_like_markup_is_shown_as_typed(tmp_path: Path) -> None:
    line = one_error_line(baytwin("sim", "validate", str(tmp_path / "[/bold]x[red].yaml")))
    assert "[/bold]x[red].yaml: file not found" in line


def test_escape_codes_in_a_scenario_name_are_refused_and_not_replayed(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("name: tiny", 'name: "tiny\\e[2J\\e[31m"'))
    line = one_error_line(baytwin("sim", "validate", str(path)))
    assert "name: must not contain control characters" in line and "\\x1b" in line


@pytest.mark.parametrize("roi", ["0,0,nan,0,10,10", "0,0,inf,0,10,10", "0,0,1e12,0,10,10"])
def test_ocr_read_roi_with_nan_or_infinite_coordinates(tmp_path: Path, roi: str) -> None:
    image = tmp_path / "frame.png"
    image.write_bytes(b"")
    line = one_error_line(baytwin("ocr", "read", str(image), f"--roi={roi}"))
    assert line.startswith(f"error: --roi '{roi}': ") and "finite numbers of pixels" in line


def test_ocr_read_shows_escape_codes_in_a_file_name_instead_of_obeying_them(tmp_path: Path) -> None:
    image = tmp_path / "frame\x1b[2J.png"
    image.write_bytes(b"not an image")
    result = baytwin("ocr", "read", str(image))
    assert result.returncode == 1 and "\x1b" not in result.stderr
    assert result.stderr.strip() == f"{tmp_path}/frame\\x1b[2J.png: error: not a readable image"


def test_demo_out_naming_a_file_or_zero_days_is_refused_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("not a folder")
    assert "is a file" in one_error_line(baytwin("demo", "--out", str(tmp_path / "taken")))
    assert "--days" in one_error_line(baytwin("demo", "--out", str(tmp_path / "d"), "--days", "0"))
    assert not (tmp_path / "d").exists()


def test_keys_generate_makes_missing_folders_and_never_overwrites(tmp_path: Path) -> None:
    key = tmp_path / "new" / "deeper" / "site.key"
    made = baytwin("keys", "generate", "--out", str(key))
    assert made.returncode == 0, made.stderr
    assert key.is_file() and (key.stat().st_mode & 0o777) == 0o600
    assert "already exists" in one_error_line(baytwin("keys", "generate", "--out", str(key)))
