"""What a run keeps while it runs: visits, observed events, and both engines' verdicts.

Verdicts are stored with the *true* visit that occupied the bay when they were
made, which is what lets a run score its own enforcement afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from baytwin.core.events import Event, ViolationClosed, ViolationOpened
from baytwin.sim.world import VisitRecord


@dataclass(slots=True)
class RunRecorder:
    visits: list[VisitRecord] = field(default_factory=list)
    observed: list[Event] = field(default_factory=list)
    outputs: list[tuple[Event, int | None]] = field(default_factory=list)
    truth: list[tuple[ViolationOpened, int | None]] = field(default_factory=list)
    truth_closed: dict[str, ViolationClosed] = field(default_factory=dict)
    open_detected: int = 0
    no_driver_available: int = 0
    crops: dict[int, bytes] = field(default_factory=dict)  # id(plate read event) -> PNG of its plate crop

    def crop(self, event: Event, png: bytes) -> None:
        """Keep the plate crop a read was made from (``images`` fidelity), as evidence for the store."""
        self.crops[id(event)] = png

    def detected(self, event: Event, visit: VisitRecord | None) -> None:
        self.outputs.append((event, visit.visit_id if visit else None))
        if isinstance(event, ViolationOpened):
            self.open_detected += 1
        elif isinstance(event, ViolationClosed):
            self.open_detected -= 1

    def true_violation(self, event: ViolationOpened, visit: VisitRecord | None) -> None:
        self.truth.append((event, visit.visit_id if visit else None))
