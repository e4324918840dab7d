"""Ctrl-C while worker processes run: one line from the command and exit code 130, nothing from the workers.

A terminal sends Ctrl-C to every process of the job; here SIGINT goes to the whole process group too,
once the command's worker processes are running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")  # comes with the sweep extra (Dask's)


def as_from_a_terminal() -> None:
    """Start the command with Ctrl-C at its default, as a terminal's job has it. A runner started in the
    background by a non-interactive shell ignores SIGINT, every child inherits that, and Python honours an
    inherited "ignore" (as it should: that is how `nohup cmd &` keeps running)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def started(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    """``baytwin ARGS`` in a process group of its own, as a terminal's job."""
    return subprocess.Popen([sys.executable, "-m", "baytwin", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=as_from_a_terminal)


def ctrl_c(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    """Send Ctrl-C to the process's group, as a terminal does, and return what it did."""
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def interrupted(args: list[str], cwd: Path, workers: int, settle_s: float = 1.0) -> subprocess.CompletedProcess[str]:
    """Run ``baytwin ARGS``, send Ctrl-C to its process group once ``workers`` worker processes have been
    busy for ``settle_s``, and return what it did."""
    process = started(args, cwd)
    busy_since = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        busy = [c for c in psutil.Process(process.pid).children(recursive=True) if c.cpu_percent(0.2) > 20]
        busy_since = (busy_since or time.monotonic()) if len(busy) >= workers else None
        if busy_since is not None and time.monotonic() - busy_since > settle_s:
            break
    return ctrl_c(process)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_ctrl_c_in_a_sweep_is_one_line_and_the_finished_runs_are_kept(tmp_path: Path) -> None:
    result = interrupted(["sweep", "workplace-garage/enforced", "--grid", "grace_min=5,15", "--replications", "2",
                          "--days", "3650", "--workers", "2", "--out", "sweep"], tmp_path, workers=2)
    assert result.returncode == 130, result.stderr
    assert _lines(result.stderr) == ["error: interrupted; finished runs are kept in sweep/runs: rerun the same "
                                     "command to resume"]


def test_ctrl_c_in_a_portfolio_run_is_one_line(tmp_path: Path) -> None:
    result = interrupted(["sim", "run", "portfolios/north-estate", "--days", "3650", "--workers", "2", "--out", "p"],
                         tmp_path, workers=2)
    assert result.returncode == 130, result.stderr
    assert _lines(result.stderr) == ["interrupted"]


def simulating(process: psutil.Process) -> bool:
    """Whether a ``sim run`` is past its start-up and simulating: its event spool has a part file open."""
    try:
        return any("baytwin-events-" in f.path for f in process.open_files())
    except psutil.Error:
        return False


def test_ctrl_c_in_any_command_is_one_line(tmp_path: Path) -> None:
    """Ctrl-C in the middle of a long run (not during start-up, where a slow machine could still be importing)."""
    process = started(["sim", "run", "workplace-garage/enforced", "--days", "3650", "--out", "run"], tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None and not simulating(psutil.Process(process.pid)):
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before it could be interrupted"
    time.sleep(1.0)
    result = ctrl_c(process)
    assert result.returncode == 130, result.stderr
    assert _lines(result.stderr) == ["interrupted"]
