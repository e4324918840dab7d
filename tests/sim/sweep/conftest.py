"""A tiny scenario for sweeps: a few bays, a busy day, ANPR and an idle fee, so policies differ."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY = """
name: tiny
days: 2
seed: 11
site: {id: tiny, ev_bays: 4, enforcement: {mode: anpr}, identification: {fidelity: error_model}}
policy: {idle_fee: {enabled: true}}
population:
  staff:
    drivers: 30
    arrivals_per_day: {weekday: 14, weekend: 6}
    stay_h: {dist: uniform, min: 1, max: 6}
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="package")
def client():  # type: ignore[no-untyped-def]
    """One local Dask cluster of two worker processes for the package's tests (it takes seconds to start)."""
    from baytwin.sim.sweep.execute import dask_client

    with dask_client(workers=2) as dask:
        yield dask
