"""One writer thread per store: many callers' batches committed together, none of them on the event loop.

A central system serving hundreds of chargers produces a stream of small
batches (one StartTransaction, one MeterValues …). Committing each on its own
costs a full sync of the database file per message, and doing it on the
event loop stalls every other charger while the disk works. Here callers
hand their batch to ``submit`` and get a future; a single thread takes all
batches waiting at that moment and appends them in one transaction (group
commit), then settles every future. A caller that must not acknowledge
before its events are durable (an OCPP handler) awaits the future.

If a group fails, each batch in it is retried alone, so one bad batch fails
only its own caller and the others still commit.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future

from baytwin.core.events import Event
from baytwin.core.store.log import Appended, EventLog

LOG = logging.getLogger("baytwin.store")

_Batch = tuple[Sequence[Event], Mapping[int, bytes] | None, "Future[list[Appended]]"]
_STOP = object()


class WriteTimes:
    """When a store last took a write and last refused one (monotonic seconds), for health reports.

    Kept beside the writes themselves so a health check never has to touch the database to know."""

    def __init__(self) -> None:
        self.ok_at: float | None = None
        self.failed_at: float | None = None

    def ok(self) -> None:
        self.ok_at = time.monotonic()

    def failed(self) -> None:
        self.failed_at = time.monotonic()

    @property
    def failing(self) -> bool:
        """The last write failed (none has succeeded since)."""
        return self.failed_at is not None and (self.ok_at is None or self.failed_at >= self.ok_at)

    def age_s(self) -> float | None:
        """Seconds since the last successful write; None if there was none."""
        return None if self.ok_at is None else round(time.monotonic() - self.ok_at, 3)

    @staticmethod
    def latest(*times: WriteTimes) -> WriteTimes:
        """One record of several writers: the newest success and the newest failure."""
        merged = WriteTimes()
        merged.ok_at = max((t.ok_at for t in times if t.ok_at is not None), default=None)
        merged.failed_at = max((t.failed_at for t in times if t.failed_at is not None), default=None)
        return merged


class StoreWriter:
    """Appends submitted batches to ``log`` from its own thread, several per transaction."""

    def __init__(self, log: EventLog, max_events_per_commit: int = 2000) -> None:
        self.log = log
        self.max_events = max_events_per_commit
        self.commits = 0
        self.batches = 0
        self.times = WriteTimes()
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._closed = False
        self._thread.start()

    # --- callers -----------------------------------------------------------------------------------

    def submit(self, events: Sequence[Event], crops: Mapping[int, bytes] | None = None) -> Future[list[Appended]]:
        """Queue ``events`` (with their crops by index) for the next commit."""
        future: Future[list[Appended]] = Future()
        if self._closed:
            future.set_exception(RuntimeError("the store writer is closed"))
            return future
        self._queue.put((list(events), dict(crops) if crops else None, future))
        return future

    def submit_async(self, events: Sequence[Event], crops: Mapping[int, bytes] | None = None) -> asyncio.Future[list[Appended]]:
        """``submit`` as an asyncio future of the running loop (callbacks run on the loop)."""
        return asyncio.wrap_future(self.submit(events, crops))

    def close(self, timeout: float | None = 30.0) -> None:
        """Commit what is queued, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout)

    # --- the writer thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            group: list[_Batch] = [first]  # type: ignore[list-item]
            size = len(group[0][0])
            stop_after = False
            while size < self.max_events:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop_after = True
                    break
                group.append(item)  # type: ignore[arg-type]
                size += len(item[0])  # type: ignore[index]
            self._commit(group)
            if stop_after:
                return

    def _commit(self, group: list[_Batch]) -> None:
        live = [batch for batch in group if batch[2].set_running_or_notify_cancel()]
        if not live:
            return
        events: list[Event] = []
        crops: dict[int, bytes] = {}
        bounds: list[tuple[int, int]] = []
        for batch_events, batch_crops, _ in live:
            start = len(events)
            for index, crop in (batch_crops or {}).items():
                crops[start + index] = crop
            events.extend(batch_events)
            bounds.append((start, len(events)))
        try:
            appended = self.log.append(events, crops or None)
        except Exception as err:
            if len(live) == 1:
                self.times.failed()
                live[0][2].set_exception(err)
                return
            LOG.warning("a group commit of %d batches failed (%s); committing them one by one", len(live), err)
            for batch in live:
                self._commit_alone(batch)
            return
        self.commits += 1
        self.batches += len(live)
        self.times.ok()
        positions = _by_event(events, appended)
        for (start, end), (_, _, future) in zip(bounds, live):
            future.set_result([positions[i] for i in range(start, end)])

    def _commit_alone(self, batch: _Batch) -> None:
        events, crops, future = batch
        try:
            appended = self.log.append(events, crops)
        except Exception as err:
            self.times.failed()
            future.set_exception(err)
            return
        self.commits += 1
        self.batches += 1
        self.times.ok()
        future.set_result(appended)


def _by_event(events: Sequence[Event], appended: Sequence[Appended]) -> list[Appended]:
    """``append`` returns positions site by site (sites sorted, order kept within one): map them back."""
    per_site: dict[str, list[Appended]] = {}
    for position in appended:
        per_site.setdefault(position.site, []).append(position)
    cursor = {site: 0 for site in per_site}
    result: list[Appended] = []
    for event in events:
        result.append(per_site[event.site][cursor[event.site]])
        cursor[event.site] += 1
    return result
