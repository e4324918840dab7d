"""Offence history per driver, for the escalation ladder and access restrictions.

A driver is keyed by plate where the plate is known, else by charging id token.
"""

from __future__ import annotations

from collections import defaultdict, deque


class OffenderLedger:
    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._offences: dict[str, deque[float]] = defaultdict(deque)
        self._restricted_until: dict[str, float] = {}
        self._banned: set[str] = set()

    def record(self, key: str, ts: float) -> int:
        """Record an offence and return how many fall within the window, this one included."""
        times = self._offences[key]
        times.append(ts)
        while times and times[0] <= ts - self.window_s:
            times.popleft()
        return len(times)

    def restrict(self, key: str, until: float) -> None:
        self._restricted_until[key] = max(until, self._restricted_until.get(key, until))

    def ban(self, key: str) -> None:
        self._banned.add(key)

    def is_denied(self, key: str | None, now: float) -> bool:
        if not key:
            return False
        return key in self._banned or self._restricted_until.get(key, float("-inf")) > now
