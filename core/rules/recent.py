"""The last few thousand events an engine took, to drop exact repeats (a charger or a camera sending again).

Chargers resend a message they got no answer to, and a camera link may deliver a read twice; a
repeat must change nothing. Hashing every event whole costs a Python-level ``__hash__`` per field
tuple, on the hot path of a site-year's millions of events. Two equal events have the same time, so
the memory is indexed by time alone (a float, hashed in C) and whole events are compared only when
times coincide, which in a stream of distinct times is rare.
"""

from __future__ import annotations

from collections import deque

from baytwin.core.events import Event


class RecentEvents:
    """Remembers the last ``capacity`` distinct events; ``seen`` says whether an event is one of them."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._by_time: dict[float, Event | list[Event]] = {}  # one event, or those sharing a time, oldest first
        self._times: deque[float] = deque()  # the remembered events' times, oldest first

    def __len__(self) -> int:
        return len(self._times)

    def seen(self, event: Event) -> bool:
        """True if ``event`` equals a remembered one; otherwise remember it (forgetting the oldest if full)."""
        ts = event.ts
        by_time = self._by_time
        same_time = by_time.get(ts)
        if same_time is None:
            by_time[ts] = event
        elif isinstance(same_time, list):
            if event in same_time:
                return True
            same_time.append(event)
        elif same_time == event:
            return True
        else:
            by_time[ts] = [same_time, event]
        times = self._times
        times.append(ts)
        if len(times) > self.capacity:
            self._forget(times.popleft())
        return False

    def _forget(self, ts: float) -> None:
        same_time = self._by_time[ts]
        if isinstance(same_time, list):
            del same_time[0]
            if same_time:
                return
        del self._by_time[ts]
