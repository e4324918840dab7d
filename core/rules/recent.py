"""Recent events an engine took, to drop exact repeats (a charger or a camera sending again).

Chargers resend a message they got no answer to, and a camera link may deliver a read twice; a
repeat must change nothing. Hashing every event whole costs a Python-level ``__hash__`` per field
tuple, on the hot path of a site-year's millions of events. Two equal events have the same time, so
the memory is indexed by time alone (a float, hashed in C) and whole events are compared only when
times coincide, which in a stream of distinct times is rare.

The memory is two generations of ``capacity`` events each: when the newer fills, it becomes the
older and the older is dropped whole. That remembers at least the last ``capacity`` distinct events
(at most twice as many) and costs two dictionary lookups an event, where forgetting exactly the
oldest cost a queue and a removal per event.
"""

from __future__ import annotations

from baytwin.core.events import Event

_Entry = Event | list[Event]  # one event, or those sharing a time, oldest first


def _holds(entry: _Entry | None, event: Event) -> bool:
    if entry is None:
        return False
    return event in entry if isinstance(entry, list) else entry == event


class RecentEvents:
    """Remembers at least the last ``capacity`` distinct events; ``seen`` says whether an event is one of them."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._newer: dict[float, _Entry] = {}
        self._older: dict[float, _Entry] = {}
        self._newer_count = self._older_count = 0

    def __len__(self) -> int:
        return self._newer_count + self._older_count

    def seen(self, event: Event) -> bool:
        """True if ``event`` equals a remembered one; otherwise remember it."""
        ts = event.ts
        newer = self._newer
        entry = newer.get(ts)
        if entry is None:
            if self._older_count and _holds(self._older.get(ts), event):
                return True
            newer[ts] = event
        elif isinstance(entry, list):
            if event in entry or _holds(self._older.get(ts), event):
                return True
            entry.append(event)
        elif entry == event or _holds(self._older.get(ts), event):
            return True
        else:
            newer[ts] = [entry, event]
        self._newer_count += 1
        if self._newer_count >= self.capacity:  # the newer generation is full: it becomes the older
            self._older, self._older_count = newer, self._newer_count
            self._newer, self._newer_count = {}, 0
        return False
