"""Put late and duplicated events back in order before the rules engine sees them.

Chargers queue messages through outages and cameras report with latency, so a
live site delivers events slightly out of order and sometimes twice. The
buffer holds events for ``lateness_s`` seconds of stream time and releases
them sorted in the canonical order of ``core.events.sort_key`` with exact
duplicates removed, so the engine's outcome does not depend on arrival order.
"""

from __future__ import annotations

import heapq

from baytwin.core.events import Event, sort_key


class ReorderBuffer:
    def __init__(self, lateness_s: float) -> None:
        self.lateness_s = lateness_s
        self._heap: list[tuple[tuple[float, int, str], Event]] = []
        self._held: set[Event] = set()
        self._released_until = float("-inf")
        self.dropped_late = 0

    def push(self, event: Event) -> list[Event]:
        """Add an event; return those now older than the newest minus the lateness."""
        if event in self._held:
            return []
        if event.ts < self._released_until:
            self.dropped_late += 1  # too late to reorder: the caller decides (count, log)
            return [event]
        self._held.add(event)
        heapq.heappush(self._heap, (sort_key(event), event))
        newest = max(self._released_until, event.ts)
        return self.release(newest - self.lateness_s)

    def release(self, until: float) -> list[Event]:
        """Release every held event with a timestamp at or before ``until``."""
        out: list[Event] = []
        while self._heap and self._heap[0][0][0] <= until:
            _, event = heapq.heappop(self._heap)
            self._held.discard(event)
            out.append(event)
        self._released_until = max(self._released_until, until)
        return out

    def flush(self) -> list[Event]:
        return self.release(float("inf"))
