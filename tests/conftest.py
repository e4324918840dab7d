"""What every test shares."""

from __future__ import annotations

import sys
from pathlib import Path
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _main_module_restored() -> Iterator[None]:
    """Streamlit's AppTest runs a page as ``__main__`` and leaves it there. Processes started later with
    the spawn method (Dask's workers) re-import ``__main__`` and would run that page; put it back."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


_SLOW_LIST = Path(__file__).with_name("slow_tests.txt")


def _slow_ids() -> tuple[str, ...]:
    lines = _SLOW_LIST.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests listed in tests/slow_tests.txt ``slow`` (``make test`` deselects them, CI runs them)."""
    slow = _slow_ids()
    for item in items:
        if item.nodeid.startswith(slow):
            item.add_marker(pytest.mark.slow)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Benchmarks are collected only by ``make bench`` (``--benchmark-only``), so an ordinary run does not
    list them among its skips."""
    if collection_path.name == "benchmarks" and not config.getoption("benchmark_only", default=False):
        return True
    return None
