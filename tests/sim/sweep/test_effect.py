"""Axes that change nothing: found in a real sweep's runs, and said by ``baytwin sweep`` in one line each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from baytwin.sim.sweep.effect import axes_without_effect
from tests.sim.sweep.conftest import TINY


@pytest.fixture(scope="module")
def fee_off_sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A fee rate swept with the idle fee switched off (no effect), beside a grace period (an effect)."""
    folder = tmp_path_factory.mktemp("effect")
    scenario = folder / "tiny.yaml"
    scenario.write_text(TINY)
    result = subprocess.run([sys.executable, "-m", "baytwin", "sweep", str(scenario), "--grid", "per_min=0.1,0.5",
                             "--grid", "grace_min=0,60", "--set", "policy.idle_fee.enabled=false",
                             "--replications", "2", "--days", "2", "--workers", "1", "--out", str(folder / "out")],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return folder / "out", result


def test_the_sweep_command_warns_of_the_fee_axis_only(fee_off_sweep) -> None:  # type: ignore[no-untyped-def]
    _, result = fee_off_sweep
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: axis per_min (policy.idle_fee.per_min) changed no figure of any run: every value "
                        "gave the same results (is the rule or fee it sets switched off?)"]


def test_an_axis_that_changes_one_figure_of_one_run_has_an_effect(fee_off_sweep) -> None:  # type: ignore[no-untyped-def]
    out, _ = fee_off_sweep
    runs = pd.read_parquet(out / "runs.parquet")
    assert axes_without_effect(runs, ["per_min", "grace_min"]) == ["per_min"]
    changed = runs.copy()
    first = changed.index[changed["per_min"] == 0.5][0]
    changed.loc[first, "served"] += 1
    assert axes_without_effect(changed, ["per_min", "grace_min"]) == []


def test_an_axis_with_one_value_or_no_runs_is_not_reported() -> None:
    runs = pd.DataFrame({"fee": [0.1, 0.1], "seed": [1, 2], "served": [3.0, 3.0]})
    assert axes_without_effect(runs, ["fee"]) == []
    assert axes_without_effect(runs.iloc[0:0], ["fee"]) == []
