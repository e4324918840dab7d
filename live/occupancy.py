"""Who is in each bay, from what the cameras see and what the chargers say.

A camera sample says whether a plate is in the bay's ROI. A car *arrives*
after it has been seen in ``arrive_samples`` samples in a row, and *leaves*
after it has been unseen for ``leave_after_s``. One thing overrides the
camera: while the bay's charger delivers current, the bay is locked to the
vehicle of that session (seed 004). A person walking past, a van parked in
front or a plate hidden by snow then cannot end the visit; only the end of
the charging (or the camera seeing the bay empty once the current stops) can.
An occupancy sensor, where a bay has one, is believed as it reports.

The tracker turns these into the core's events: vehicle arrived / identified /
left, and a plate read for every gated read (accepted, review or unreadable),
with the crop kept only when the read is evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.events import (
    CAMERA,
    SENSOR,
    Event,
    PlateRead,
    SessionEnded,
    SessionEvent,
    VehicleArrived,
    VehicleIdentified,
    VehicleLeft,
)
from core.ocr.pipeline import PlateResult


@dataclass(slots=True)
class BayState:
    bay: str
    occupied: bool = False
    since: float | None = None
    seen_run: int = 0  # consecutive samples with a plate in the ROI
    last_seen: float | None = None
    plate: str | None = None
    confidence: float = 0.0
    identified: bool = False
    current_a: float = 0.0
    session: str | None = None
    source: str = CAMERA

    @property
    def locked(self) -> bool:
        """Charging current flows: the bay belongs to the session's vehicle whatever the camera sees."""
        return self.session is not None and self.current_a > 0.0


@dataclass(slots=True)
class Observation:
    """What one sample of a bay's camera found."""

    ts: float
    present: bool
    read: PlateResult | None = None


@dataclass(slots=True)
class Occupancy:
    site: str
    arrive_samples: int = 2
    leave_after_s: float = 30.0
    bays: dict[str, BayState] = field(default_factory=dict)
    crops: dict[int, bytes] = field(default_factory=dict)  # id(plate read event) -> PNG crop, for the store

    def state(self, bay: str) -> BayState:
        return self.bays.setdefault(bay, BayState(bay))

    # --- cameras -------------------------------------------------------------------------------------------

    def camera(self, bay: str, observation: Observation) -> list[Event]:
        s = self.state(bay)
        out: list[Event] = []
        ts = observation.ts
        if observation.present:
            s.seen_run += 1
            s.last_seen = ts
            if not s.occupied and s.seen_run >= self.arrive_samples:
                s.occupied, s.since, s.source = True, ts, CAMERA
                s.plate, s.confidence, s.identified = None, 0.0, False
                out.append(VehicleArrived(ts, self.site, bay, CAMERA))
            if s.occupied and observation.read is not None:
                out += self._read(s, observation)
        else:
            s.seen_run = 0
            if s.occupied and s.source == CAMERA and not s.locked and s.last_seen is not None \
                    and ts - s.last_seen >= self.leave_after_s:
                out.append(self._leave(s, ts, CAMERA))
        return out

    def _read(self, s: BayState, observation: Observation) -> list[Event]:
        read = observation.read
        assert read is not None
        event = PlateRead(observation.ts, self.site, s.bay, read.plate, round(read.confidence, 4), read.status)
        out: list[Event] = [event]
        if read.status in ("accepted", "review") and read.crop is not None:
            # an accepted read can become evidence, and a reviewer must see what the reader saw;
            # an unreadable one keeps no image
            self.crops[id(event)] = _png(read.crop)
        if s.identified:
            return out
        if read.status == "accepted":
            s.plate, s.confidence, s.identified = read.plate, read.confidence, True
            out.append(VehicleIdentified(observation.ts, self.site, s.bay, read.plate, round(read.confidence, 4), CAMERA))
        return out

    def _leave(self, s: BayState, ts: float, source: str) -> Event:
        s.occupied, s.since, s.seen_run = False, None, 0
        s.plate, s.identified = None, False
        return VehicleLeft(ts, self.site, s.bay, source)

    # --- chargers and sensors ----------------------------------------------------------------------------

    def session(self, event: SessionEvent) -> list[Event]:
        """Session events from the central system keep the lock up to date; they emit nothing themselves."""
        s = self.state(event.bay)
        if isinstance(event, SessionEnded):
            s.session, s.current_a = None, 0.0
        else:
            s.session, s.current_a = event.session_id, event.current_a
        return []

    def sensor(self, bay: str, occupied: bool, ts: float) -> list[Event]:
        s = self.state(bay)
        if occupied and not s.occupied:
            s.occupied, s.since, s.source = True, ts, SENSOR
            return [VehicleArrived(ts, self.site, bay, SENSOR)]
        if not occupied and s.occupied:
            return [self._leave(s, ts, SENSOR)]
        return []


def _png(crop: np.ndarray) -> bytes:
    import cv2

    ok, data = cv2.imencode(".png", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
    return data.tobytes() if ok else b""
