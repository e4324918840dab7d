"""The physical site in the twin: bays, their chargers, and who is in them.

This is ground truth. What the rules engine believes is assembled from events
and may differ (a misread plate, a missed departure); the difference is what
the run's precision and recall measure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from baytwin.sim.chargers import ChargerPort, SessionOutcome


@dataclass(slots=True)
class VisitRecord:
    """One vehicle's visit, true and observed side by side (a row of ``sessions``)."""

    visit_id: int
    driver_id: int
    group: str
    is_ev: bool
    plate_true: str
    arrival: float
    id_token: str | None = None
    bay: str | None = None
    bay_kind: str | None = None  # ev | general | None (blocked)
    plate_seen: str | None = None
    read_confidence: float | None = None
    plug_in: float | None = None
    charging_complete: float | None = None
    charging_stopped: float | None = None
    unplug: float | None = None
    departure: float | None = None
    energy_kwh: float = 0.0
    faulted: bool = False
    denied: bool = False  # authorization refused (restricted or banned)
    moved_for_rule: bool = False
    notified: bool = False
    session: SessionOutcome | None = None


@dataclass(slots=True)
class Bay:
    id: str
    ev: bool
    charger: ChargerPort | None = None
    occupant: VisitRecord | None = None
    occupied_seconds: float = 0.0
    occupied_since: float | None = None


@dataclass(slots=True)
class World:
    ev_bays: list[Bay]
    general_bays: list[Bay]
    _free_ev: list[Bay] = field(default_factory=list)
    _free_general: list[Bay] = field(default_factory=list)
    by_id: dict[str, Bay] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {bay.id: bay for bay in self.ev_bays + self.general_bays}
        self._free_ev = list(self.ev_bays)
        self._free_general = list(self.general_bays)

    @property
    def free_ev(self) -> int:
        return len(self._free_ev)

    @property
    def free_general(self) -> int:
        return len(self._free_general)

    def occupied_ev(self) -> int:
        return len(self.ev_bays) - len(self._free_ev)

    def take(self, ev: bool, rng: random.Random) -> Bay | None:
        """A uniformly chosen free bay of the kind asked for, or None."""
        free = self._free_ev if ev else self._free_general
        if not free:
            return None
        i = int(rng.random() * len(free))
        free[i], free[-1] = free[-1], free[i]
        return free.pop()

    def release(self, bay: Bay) -> None:
        (self._free_ev if bay.ev else self._free_general).append(bay)
