"""The benchmarks' report: every figure beside its baseline and target, printed and saved as JSON.

Each benchmark states its figures with ``tests.benchmarks.figures.record``. After every benchmark
test the figures and pytest-benchmark's own statistics are collected here; at the end of the session
they are printed as one table and written to ``bench/results.json`` (``BAYTWIN_BENCH_RESULTS`` names
another file). A run with the benchmarks skipped (the default test run) writes nothing.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks.report import render_table

RESULTS_ENV = "BAYTWIN_BENCH_RESULTS"
DEFAULT_RESULTS = Path("bench") / "results.json"
_KEY = pytest.StashKey[list[dict[str, Any]]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_KEY] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    load_before = _load()
    try:
        return (yield)
    finally:
        entry = _entry(item, load_before)
        if entry is not None:
            item.config.stash[_KEY].append(entry)


def _entry(item: pytest.Item, load_before: float | None) -> dict[str, Any] | None:
    """The test's figures and timing statistics, or None for a test that benchmarked nothing."""
    fixture = getattr(item, "funcargs", {}).get("benchmark")
    if fixture is None or getattr(fixture, "stats", None) is None:
        return None
    stats = fixture.stats.stats
    return {
        "benchmark": item.nodeid.split("::", 1)[-1],
        "file": item.nodeid.split("::", 1)[0],
        "median_s": stats.median, "min_s": stats.min, "max_s": stats.max, "rounds": stats.rounds,
        "load_average_before": load_before, "load_average_after": _load(),
        "figures": list(fixture.extra_info.get("figures", [])),
        "extra_info": {k: v for k, v in fixture.extra_info.items() if k != "figures"},
    }


def _load() -> float | None:
    """The last minute's load average: how busy the machine was, the figures' context."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def results_path() -> Path:
    return Path(os.environ.get(RESULTS_ENV) or DEFAULT_RESULTS)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    entries = config.stash.get(_KEY, [])
    if not entries:
        return
    terminalreporter.write_sep("=", "benchmark figures against baselines measured in the same run")
    for line in render_table(entries):
        terminalreporter.write_line(line)
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.system()},
        "ratio": "our cost over the baseline's: time over time; for a rate, the baseline's rate over ours",
        "benchmarks": entries,
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    terminalreporter.write_line(f"figures written to {path}")
