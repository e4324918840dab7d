"""The ``baytwin`` command as a user meets it: real subprocesses, real files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

SMALL_SITE = """
name: tiny
days: 2
site: {id: tiny, ev_bays: 4, enforcement: {mode: anpr}}
policy: {idle_fee: {enabled: true}}
population:
  staff:
    drivers: 30
    arrivals_per_day: {weekday: 12, weekend: 4}
    stay_h: {dist: uniform, min: 1, max: 6}
"""


def baytwin(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baytwin", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(SMALL_SITE)
    return path


def test_sim_run_writes_summary_and_tables(tmp_path: Path, tiny: Path) -> None:
    out = tmp_path / "run"
    result = baytwin("sim", "run", str(tiny), "--out", str(out), "--seed", "3")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["days"] == 2
    for table in ("events", "sessions", "violations", "actions", "timeseries"):
        assert (out / f"{table}.parquet").is_file()
    assert "arrivals" in result.stdout


def test_set_overrides_a_scenario_field(tmp_path: Path, tiny: Path) -> None:
    out = tmp_path / "run"
    result = baytwin("sim", "run", str(tiny), "--out", str(out), "--set", "site.ev_bays=2", "--days", "1")
    assert result.returncode == 0, result.stderr
    scenario = json.loads((out / "scenario.json").read_text())
    assert scenario["site"]["ev_bays"] == 2


def test_compare_prints_side_by_side_and_writes_csv(tmp_path: Path, tiny: Path) -> None:
    for seed in ("1", "2"):
        assert baytwin("sim", "run", str(tiny), "--out", str(tmp_path / f"s{seed}"), "--seed", seed).returncode == 0
    csv = tmp_path / "cmp.csv"
    result = baytwin("sim", "compare", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(csv))
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(csv, index_col="metric")
    assert list(table.columns) == ["s1", "s2"]
    assert table.loc["seed"].tolist() == [1, 2]


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        (SMALL_SITE.replace("ev_bays: 4", "ev_bays: -1"), "site.ev_bays", "greater than or equal to 1"),
        (SMALL_SITE.replace("mode: anpr", "mode: drone"), "site.enforcement.mode", "'none', 'anpr' or 'patrol'"),
        (SMALL_SITE.replace("policy: {idle_fee: {enabled: true}}", "policy: {idle_fee: {per_min: cheap}}"),
         "policy.idle_fee.per_min", "valid number"),
        (SMALL_SITE.replace("days: 2", "dayz: 2"), "dayz", "unknown field"),
        (SMALL_SITE + "  visitors: {arrivals_per_day: {weekday: 1}}\n", "population.visitors.arrivals_per_day.weekend", "required"),
        ("name: [unclosed\n", "line 2", "invalid YAML"),
    ],
)
def test_broken_scenario_is_one_line_per_problem_naming_file_field_and_problem(tmp_path: Path, text: str, field: str,
                                                                                 problem: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    result = baytwin("sim", "run", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr
    assert all(line.startswith("error: ") and "broken.yaml: " in line for line in lines)
    assert any(field in line and problem in line for line in lines)
    assert not (tmp_path / "out").exists()


def test_broken_policy_file_is_named_in_the_error(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("rules:\n  overstay:\n    grace_min: -5\n")
    (tmp_path / "site.yaml").write_text(SMALL_SITE.replace("policy: {idle_fee: {enabled: true}}", "policy: policy.yaml"))
    result = baytwin("sim", "validate", str(tmp_path / "site.yaml"))
    assert result.returncode == 2
    assert "policy.yaml: rules.overstay.grace_min:" in result.stderr
    assert "site.yaml" in result.stderr


def test_missing_scenario_file_is_a_clear_error(tmp_path: Path) -> None:
    result = baytwin("sim", "run", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr and "not found" in result.stderr


def test_unknown_option_exits_with_code_2(tiny: Path) -> None:
    result = baytwin("sim", "run", str(tiny), "--out", "x", "--frobnicate")
    assert result.returncode == 2
    assert "--frobnicate" in result.stderr


def test_bad_set_override_is_rejected(tiny: Path, tmp_path: Path) -> None:
    result = baytwin("sim", "run", str(tiny), "--out", str(tmp_path / "o"), "--set", "site.ev_bays")
    assert result.returncode == 2 and "dotted.path=value" in result.stderr


def test_compare_of_a_folder_without_summary_is_a_clear_error(tmp_path: Path) -> None:
    result = baytwin("sim", "compare", str(tmp_path))
    assert result.returncode == 2 and "summary.json" in result.stderr


def test_list_names_the_bundled_scenarios() -> None:
    result = baytwin("sim", "list")
    assert result.returncode == 0 and "workplace-garage/baseline" in result.stdout
