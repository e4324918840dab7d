"""Injected clocks.

The core never reads the wall clock itself: every timestamp comes from a clock
handed in by the driver, so a simulated week and a live week run the same code,
and the same seed gives the same result.
"""

from __future__ import annotations

import time
from typing import Callable, Protocol


class Clock(Protocol):
    """Seconds since the Unix epoch (UTC), as a float."""

    def now(self) -> float: ...


class WallClock:
    """Real time, for live mode."""

    def now(self) -> float:
        return time.time()


class OffsetClock:
    """A clock that reads an elapsed-seconds source and adds a fixed epoch.

    The simulation hands in ``lambda: env.now`` so that sim time (seconds
    since the scenario start) becomes absolute, timezone-aware timestamps.
    """

    def __init__(self, epoch: float, elapsed: Callable[[], float]) -> None:
        self.epoch = epoch
        self._elapsed = elapsed

    def now(self) -> float:
        return self.epoch + self._elapsed()


class ManualClock:
    """A clock moved by hand, for tests and replays."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def set(self, ts: float) -> None:
        self._now = ts

    def advance(self, seconds: float) -> None:
        self._now += seconds


class AcceleratedClock:
    """Wall time running ``speed`` times faster from ``start``: recorded footage replayed faster than it happened,
    with every other part of the site (chargers, rules timers) on the same quickened time."""

    def __init__(self, start: float, speed: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start, self.speed, self._monotonic = start, speed, monotonic
        self._began = monotonic()

    def now(self) -> float:
        return self.start + (self._monotonic() - self._began) * self.speed
