"""What the rules engine believes about the vehicle currently in one bay.

A visit is assembled from whatever the site reports: a camera's arrival, a
patrol's sighting, a charger's session. Its fields are beliefs, not truth:
``plate`` may be a misread, ``arrived_at`` may be the first patrol sighting.
The rule deadlines are pure functions of these beliefs (see ``deadlines.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from baytwin.core.events import Event


@dataclass(slots=True)
class OpenViolation:
    violation_id: str
    rule: str
    opened_at: float
    since: float
    plate: str | None
    id_token: str | None


@dataclass(slots=True)
class Visit:
    number: int
    bay: str
    arrived_at: float
    last_seen: float
    evidence: list[Event] = field(default_factory=list)
    continuous: bool = False  # a camera or sensor watches the bay, and will report the departure
    sighted: bool = False  # seen at least once by a patrol (intermittent presence)
    plugged: bool = False  # a charging session is open: the cable proves presence
    plugged_at: float | None = None  # when the open session began (the plugged car has been here since)
    unseen_charge_ended_at: float | None = None  # a session that ended unseen just before: this may be its car
    on_cable: bool = False  # this visit's car is known to be the one on the session (seen while plugged, token, camera)
    plate: str | None = None
    confidence: float = 0.0
    id_token: str | None = None
    session_id: str | None = None
    had_session: bool = False
    ever_charged: bool = False
    charging: bool = False
    charging_ended_at: float | None = None  # when charging is deemed to have ended
    ended_known_at: float | None = None  # when that conclusion may be drawn
    zero_current_since: float | None = None
    faulted: bool = False
    charger_down: bool = False  # the bay's charger cannot charge: not charging is not the driver's doing
    charger_back_at: float | None = None  # when it could charge again (the arrival allowance restarts there)
    escalated: set[str] = field(default_factory=set)  # rules that already counted against the driver this visit
    open: dict[str, OpenViolation] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)  # rules already breached in this visit
    awaiting: set[str] = field(default_factory=set)  # due, waiting for a sighting to confirm presence
    scheduled: dict[str, float] = field(default_factory=dict)  # rule -> due time of its pending timer

    @property
    def presence_is_proven(self) -> bool:
        """True while a source that would report the departure is watching."""
        return self.continuous or (self.plugged and self.on_cable)

    def take_cable(self, earlier: "Visit") -> None:
        """Carry the open session of ``earlier`` (a visit ended while its cable stayed in) into this one.

        A patrol that finds a new car at a plugged charger has found the car
        on the cable: it has been here since the session began, is charging or
        not as the session says, and must not be taken for an unplugged car.
        """
        self.plugged = self.had_session = True
        self.plugged_at = earlier.plugged_at
        if earlier.plugged_at is not None:
            self.arrived_at = min(self.arrived_at, earlier.plugged_at)
        self.session_id, self.id_token = earlier.session_id, earlier.id_token
        self.ever_charged, self.charging, self.faulted = earlier.ever_charged, earlier.charging, earlier.faulted
        self.charging_ended_at, self.ended_known_at = earlier.charging_ended_at, earlier.ended_known_at
        self.zero_current_since = earlier.zero_current_since

    def end_charging(self, at: float, known_at: float) -> None:
        if self.charging_ended_at is None or at < self.charging_ended_at:
            self.charging_ended_at = at
            self.ended_known_at = known_at
        else:
            self.ended_known_at = min(self.ended_known_at or known_at, known_at)

    def resume_charging(self) -> None:
        self.charging = True
        self.ever_charged = True
        self.zero_current_since = None
        self.charging_ended_at = None
        self.ended_known_at = None
