"""Runs a rules engine on SimPy time.

The engine asks to be woken at ``next_due``; this bridge schedules a SimPy
timeout there, feeds events in as the world produces them, and hands every
output (violations, actions) to a callback. Live mode has the same bridge on
asyncio timers.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import simpy

from baytwin.core.clock import OffsetClock
from baytwin.core.events import Event
from baytwin.core.rules.engine import UNCHANGED, RulesEngine


class EngineDriver:
    def __init__(self, env: simpy.Environment, clock: OffsetClock, engine: RulesEngine,
                 on_output: Callable[[Event], None]) -> None:
        self.env, self.clock, self.engine, self.on_output = env, clock, engine, on_output
        self._armed_at = float("inf")

    def feed(self, event: Event) -> None:
        outputs = self.engine.handle(event)
        if outputs is UNCHANGED:  # no output and no timer moved: the armed wake-up still stands
            return
        for output in outputs:
            self.on_output(output)
        self._arm()

    def _arm(self) -> None:
        due = self.engine.next_due
        if due is None or due >= self._armed_at:
            return
        self._armed_at = due
        delay = max(0.0, due - self.clock.now())
        self.env.timeout(delay).callbacks.append(partial(self._on_timeout, due))

    def _on_timeout(self, due: float, _event: simpy.Event) -> None:
        self._wake(due)

    def _wake(self, due: float) -> None:
        self._armed_at = float("inf")
        # max(): the float sum epoch + sim time may land a hair before ``due``.
        for output in self.engine.advance(max(self.clock.now(), due)):
            self.on_output(output)
        self._arm()
