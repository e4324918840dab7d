"""Who is in each bay, from what the cameras see and what the chargers say.

A camera sample says whether a plate is in the bay's ROI. A car *arrives*
after it has been seen in ``arrive_samples`` samples in a row, and *leaves*
after it has been unseen for ``leave_after_s``. One thing overrides the
camera: while the bay's charger delivers current, the bay is locked to the
vehicle of that session (seed 004). A person walking past, a van parked in
front or a plate hidden by snow then cannot end the visit; only the end of
the charging (or the camera seeing the bay empty once the current stops) can.
An occupancy sensor, where a bay has one, is believed as it reports.

Two things end a visit that the camera alone would have kept going:

* a **different** accepted plate in a bay already identified (a car swap: one
  car out, another in, quicker than ``leave_after_s``): the first visit ends
  at the last sample that saw the bay empty (else at the new read) and a new
  one begins, so the second car's stay is never charged to the first driver;
* the camera **going blind** (stream ended, camera down): the bay becomes
  *unknown* (``BayUnobserved``); nobody is charged for what nobody saw, and a
  car still there when the camera is back is a new arrival.

The tracker turns these into the core's events: vehicle arrived / identified /
left, and a plate read for every gated read (accepted, review or unreadable),
with the crop kept only when the read is evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from baytwin.core.events import (
    CAMERA,
    SENSOR,
    BayUnobserved,
    Event,
    PlateRead,
    SessionEnded,
    SessionEvent,
    VehicleArrived,
    VehicleIdentified,
    VehicleLeft,
)
from baytwin.core.ocr.pipeline import PlateResult


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
    empty_seen_at: float | None = None  # the last sample that found the bay empty while a car was believed in it
    unknown: str | None = None  # why nothing can see the bay now (camera down, stream ended); None while watched
    sensed: bool = False  # an occupancy sensor reports this bay: it, not the camera, says when cars come and go

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
    reader: str = ""  # the model that reads the site's plates (PlateReader.label), recorded with every read

    def state(self, bay: str) -> BayState:
        return self.bays.setdefault(bay, BayState(bay))

    # --- cameras -------------------------------------------------------------------------------------------

    def camera(self, bay: str, observation: Observation) -> list[Event]:
        s = self.state(bay)
        out: list[Event] = []
        ts = observation.ts
        s.unknown = None
        if observation.present:
            s.seen_run += 1
            s.last_seen = ts
            if not s.occupied and s.seen_run >= self.arrive_samples and not s.sensed:
                s.occupied, s.since, s.source = True, ts, CAMERA
                s.plate, s.confidence, s.identified = None, 0.0, False
                out.append(VehicleArrived(ts, self.site, bay, CAMERA))
            if s.occupied and observation.read is not None:
                out += self._read(s, observation)
        else:
            s.seen_run = 0
            if s.occupied:
                s.empty_seen_at = ts
            if s.occupied and s.source == CAMERA and not s.locked and s.last_seen is not None \
                    and ts - s.last_seen >= self.leave_after_s:
                out.append(self._leave(s, ts, CAMERA))
        return out

    def _read(self, s: BayState, observation: Observation) -> list[Event]:
        read = observation.read
        assert read is not None
        event = PlateRead(observation.ts, self.site, s.bay, read.plate, round(read.confidence, 4), read.status,
                          reader=self.reader)
        out: list[Event] = [event]
        if read.status in ("accepted", "review") and read.crop is not None:
            # an accepted read can become evidence, and a reviewer must see what the reader saw;
            # an unreadable one keeps no image
            self.crops[id(event)] = _png(read.crop)
        if s.identified:
            if read.status == "accepted" and read.plate and read.plate != s.plate and not s.locked:
                out += self._swap(s, observation)
            return out
        if read.status == "accepted":
            s.plate, s.confidence, s.identified = read.plate, read.confidence, True
            out.append(VehicleIdentified(observation.ts, self.site, s.bay, read.plate, round(read.confidence, 4), CAMERA))
        return out

    def _swap(self, s: BayState, observation: Observation) -> list[Event]:
        """Another car than the one identified: the first left (when the bay was last seen empty, if it
        was since it arrived), the second arrived and is identified now."""
        read = observation.read
        assert read is not None and read.plate is not None
        ts = observation.ts
        left_at = s.empty_seen_at if s.empty_seen_at is not None and s.since is not None and s.empty_seen_at > s.since else ts
        out: list[Event] = [self._leave(s, left_at, CAMERA)]
        s.occupied, s.since, s.source, s.seen_run, s.last_seen = True, ts, CAMERA, self.arrive_samples, ts
        s.plate, s.confidence, s.identified = read.plate, read.confidence, True
        out.append(VehicleArrived(ts, self.site, s.bay, CAMERA))
        out.append(VehicleIdentified(ts, self.site, s.bay, read.plate, round(read.confidence, 4), CAMERA))
        return out

    def _leave(self, s: BayState, ts: float, source: str) -> Event:
        s.occupied, s.since, s.seen_run = False, None, 0
        s.plate, s.identified, s.empty_seen_at = None, False, None
        return VehicleLeft(ts, self.site, s.bay, source)

    def camera_lost(self, bays: list[str], ts: float, reason: str) -> list[Event]:
        """The camera watching ``bays`` cannot see any more: each becomes unknown; a visit it was tracking
        ends there (``BayUnobserved``), unless charging current holds the bay for its session's car."""
        out: list[Event] = []
        for bay in bays:
            s = self.state(bay)
            if s.unknown is not None:
                continue
            s.unknown = reason
            if s.source != CAMERA:
                continue
            if s.occupied or s.locked:
                out.append(BayUnobserved(ts, self.site, bay, CAMERA, reason))
            s.occupied, s.since, s.seen_run, s.last_seen = False, None, 0, None
            s.plate, s.identified, s.empty_seen_at = None, False, None
        return out

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
        """A bay sensor's report. The sensor is believed over the camera: a car the camera found is the sensor's
        to end from now on, and the camera no longer starts visits in this bay (it still identifies them)."""
        s = self.state(bay)
        s.sensed, s.unknown = True, None
        if occupied and not s.occupied:
            s.occupied, s.since, s.source = True, ts, SENSOR
            return [VehicleArrived(ts, self.site, bay, SENSOR)]
        if occupied:
            s.source = SENSOR
        if not occupied and s.occupied:
            return [self._leave(s, ts, SENSOR)]
        return []

    def sensor_lost(self, bay: str, ts: float, reason: str) -> list[Event]:
        """The bay's sensor is not heard any more (silent too long, its broker unreachable): the bay is unknown
        and a visit the sensor was tracking ends there (``BayUnobserved``), as for a camera gone blind. The
        camera, if one watches the bay, starts visits in it again; the sensor's next report clears it."""
        s = self.state(bay)
        s.unknown, s.sensed = reason, False
        if s.source != SENSOR:
            return []
        out: list[Event] = [BayUnobserved(ts, self.site, bay, SENSOR, reason)] if s.occupied or s.locked else []
        s.occupied, s.since, s.seen_run, s.last_seen, s.source = False, None, 0, None, CAMERA
        s.plate, s.identified, s.empty_seen_at = None, False, None
        return out


def _png(crop: np.ndarray) -> bytes:
    import cv2

    ok, data = cv2.imencode(".png", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
    return data.tobytes() if ok else b""
