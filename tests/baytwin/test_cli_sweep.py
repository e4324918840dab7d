"""``baytwin sweep`` as a user meets it: one-line errors before anything runs, results on a Dask cluster."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

TINY = """
name: tiny
days: 2
site: {id: tiny, ev_bays: 4, enforcement: {mode: anpr}}
policy: {idle_fee: {enabled: true}}
population:
  staff:
    drivers: 30
    arrivals_per_day: {weekday: 14, weekend: 6}
    stay_h: {dist: uniform, min: 1, max: 6}
"""


def baytwin(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baytwin", *args], capture_output=True, text=True, timeout=180)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.mark.parametrize(("axis", "message"), [
    ("grace_minutes=5,10", "error: --grid grace_minutes: no field of that name in the scenario or its policy"),
    ("enabled=true,false", "error: --grid enabled: ambiguous, it could be policy.idle_fee.enabled, "),
    ("signage=poor,awful", "site.signage: Input should be 'good', 'poor' or 'none' (got 'awful')"),
    ("grace_min", "error: --grid 'grace_min': expected name=value1,value2,..."),
])
def test_a_bad_axis_stops_before_anything_runs(tmp_path: Path, tiny: Path, axis: str, message: str) -> None:
    from typer.testing import CliRunner

    from baytwin.cli import app

    out = tmp_path / "sweep"
    result = CliRunner().invoke(app, ["sweep", str(tiny), "--grid", axis, "--replications", "2", "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_a_sweep_on_an_existing_cluster_writes_its_tables_and_resumes(tmp_path: Path, tiny: Path) -> None:
    from distributed import LocalCluster

    out = tmp_path / "sweep"
    args = ("sweep", str(tiny), "--grid", "grace_min=5,30", "--grid", "site.signage=poor,good",
            "--replications", "2", "--days", "1", "--seed", "7", "--set", "site.ev_bays=3", "--out", str(out))
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        result = baytwin(*args, "--scheduler", cluster.scheduler_address)
    assert result.returncode == 0, result.stderr
    assert "4 cells x 2 replications = 8 runs" in result.stdout and "8 of 8 runs done" in result.stdout
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 8 and set(runs["site.signage"]) == {"poor", "good"} and set(runs["seed"]) == {7, 8}
    assert (runs["ev_bays"] == 3).all()
    assert len(pd.read_csv(out / "cells.csv")) == 4
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["fixed_overrides"] == {"site.ev_bays": 3} and manifest["base_seed"] == 7

    again = baytwin(*args)  # every run finished: no cluster needed
    assert again.returncode == 0, again.stderr
    assert "8 finished before, skipped" in again.stdout and "(0 now, 8 skipped" in again.stdout

    other = baytwin(*args[:-2], "--days", "2", "--out", str(out))
    assert other.returncode == 2 and "holds a different sweep (days differ)" in other.stderr


def test_a_sweep_on_its_own_local_cluster_takes_several_runs_per_task(tmp_path: Path, tiny: Path) -> None:
    out = tmp_path / "sweep"
    result = baytwin("sweep", str(tiny), "--grid", "grace_min=5,30", "--replications", "4", "--days", "1",
                     "--workers", "2", "--runs-per-task", "3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "8 of 8 runs done (8 now" in result.stdout
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 8 and runs["run_id"].is_unique and (runs["arrivals"] > 0).all()
