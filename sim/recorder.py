"""What a run keeps while it runs: visits, observed events, and both engines' verdicts.

Verdicts are stored with the *true* visit that occupied the bay when they were
made, which is what lets a run score its own enforcement afterwards.

Every event the site observed or the engine decided goes to an :class:`EventSpool` on disk as
the run goes, in the order the run produced them (time order); only the few that scoring needs
(violations and actions) stay in memory whole. A site-year of a large site therefore needs no
more memory than a week of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from baytwin.core.events import OUTPUT_EVENTS, Event, ViolationClosed, ViolationOpened
from baytwin.sim.event_spool import EventSpool, event_from_row
from baytwin.sim.world import VisitRecord

_OUTPUT_KINDS = frozenset(cls.kind for cls in OUTPUT_EVENTS)


@dataclass(slots=True)
class RunRecorder:
    visits: list[VisitRecord] = field(default_factory=list)
    outputs: list[tuple[Event, int | None]] = field(default_factory=list)
    truth: list[tuple[ViolationOpened, int | None]] = field(default_factory=list)
    truth_closed: dict[str, ViolationClosed] = field(default_factory=dict)
    open_detected: int = 0
    no_driver_available: int = 0
    observed_count: int = 0
    crops: dict[int, bytes] = field(default_factory=dict)  # row of a plate read in the events table -> PNG crop
    spool: EventSpool = field(default_factory=EventSpool)
    _last_observed: Event | None = None

    def observe(self, event: Event) -> None:
        """An event the site's systems saw."""
        self.spool.append(event)
        self.observed_count += 1
        self._last_observed = event

    def crop(self, event: Event, png: bytes) -> None:
        """Keep the plate crop a read was made from (``images`` fidelity), as evidence for the store.
        Called right after the read was observed."""
        if event is not self._last_observed:
            raise ValueError("a crop belongs to the plate read observed last")
        self.crops[len(self.spool) - 1] = png

    def detected(self, event: Event, visit: VisitRecord | None) -> None:
        self.outputs.append((event, visit.visit_id if visit else None))
        self.spool.append(event)
        if isinstance(event, ViolationOpened):
            self.open_detected += 1
        elif isinstance(event, ViolationClosed):
            self.open_detected -= 1

    def true_violation(self, event: ViolationOpened, visit: VisitRecord | None) -> None:
        self.truth.append((event, visit.visit_id if visit else None))

    def events(self) -> Iterator[tuple[Event, bytes | None]]:
        """Every event of the run in the events table's order, whole (violations with their full
        evidence), each with the plate crop it was read from, if one was kept."""
        outputs = (event for event, _ in self.outputs)
        row = 0
        for batch in self.spool.batches():
            for values in batch.to_pylist():
                event = next(outputs) if values["kind"] in _OUTPUT_KINDS else event_from_row(values)
                yield event, self.crops.get(row)
                row += 1

    def observed(self) -> Iterator[Event]:
        """The events the site observed, in order (read back from the spool)."""
        for event, _ in self.events():
            if event.kind not in _OUTPUT_KINDS:
                yield event
