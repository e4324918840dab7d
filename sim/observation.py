"""How the site sees its bays, by enforcement mode.

* ``anpr``: a camera per bay reports arrivals and departures as they happen
  and reads the plate (through the identification fidelity);
* ``patrol``: an officer walks the bays every N minutes, noting plates (chalk
  marks): presence is known only at those moments;
* ``none``: nobody watches; only the chargers report.

Each observer turns physical happenings into the events the core would get
from the real thing. They never decide anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from baytwin.core.events import CAMERA, PATROL, Event, PlateRead, VehicleArrived, VehicleIdentified, VehicleLeft
from baytwin.sim.identification import Identifier
from baytwin.sim.world import Bay, VisitRecord

if TYPE_CHECKING:
    from baytwin.sim.site_context import ObservedSite


class Observer:
    """Watches nothing (enforcement mode ``none``)."""

    def __init__(self, model: "ObservedSite", identifier: Identifier, emit: Callable[[Event], None]) -> None:
        self.model, self.identifier, self.emit = model, identifier, emit

    def arrived(self, bay: Bay, visit: VisitRecord) -> None:
        pass

    def left(self, bay: Bay, visit: VisitRecord) -> None:
        pass


class AnprCamera(Observer):
    def arrived(self, bay: Bay, visit: VisitRecord) -> None:
        ts = self.model.clock.now()
        site = self.model.site_id
        self.emit(VehicleArrived(ts, site, bay.id, CAMERA))
        plate_format = self.model.scenario.population[visit.group].plate_format
        read = self.identifier.camera_read(visit.plate_true, self.model.condition_severities(ts), plate_format)
        status = "accepted" if self.identifier.accepted(read) else ("unreadable" if read.plate is None else "review")
        plate_read = PlateRead(ts, site, bay.id, read.plate, round(read.confidence, 4), status)
        self.emit(plate_read)
        if read.crop_png is not None:
            self.model.recorder.crop(plate_read, read.crop_png)
        plate = read.plate if status == "accepted" else None
        visit.plate_seen, visit.read_confidence = plate, round(read.confidence, 4)
        self.emit(VehicleIdentified(ts, site, bay.id, plate, round(read.confidence, 4) if plate else 0.0, CAMERA))

    def left(self, bay: Bay, visit: VisitRecord) -> None:
        self.emit(VehicleLeft(self.model.clock.now(), self.model.site_id, bay.id, CAMERA))


class Patrol(Observer):
    """An officer's round: every bay is checked in one pass."""

    def __init__(self, model: "ObservedSite", identifier: Identifier, emit: Callable[[Event], None],
                 interval_min: float, offset_min: float) -> None:
        super().__init__(model, identifier, emit)
        self._last_seen: dict[str, tuple[int, str]] = {}  # bay -> (visit id, plate noted)
        self._occupied_s: dict[str, float] = {}  # bay -> its occupied time at the last round (grows when a car leaves)
        model.env.process(self._rounds(interval_min * 60.0, offset_min * 60.0))

    def _rounds(self, interval: float, offset: float):  # type: ignore[no-untyped-def]
        env = self.model.env
        yield env.timeout(offset)
        while True:
            self._walk()
            yield env.timeout(interval)

    def _walk(self) -> None:
        ts = self.model.clock.now()
        site = self.model.site_id
        for bay in self.model.world.ev_bays:
            visit = bay.occupant
            noted = self._last_seen.get(bay.id)
            came_and_went = self._occupied_s.get(bay.id, 0.0) != bay.occupied_seconds
            self._occupied_s[bay.id] = bay.occupied_seconds
            if noted is not None and (visit is None or visit.visit_id != noted[0]):
                self.emit(VehicleLeft(ts, site, bay.id, PATROL))
                del self._last_seen[bay.id]
                noted = None
            elif visit is None and came_and_went:
                # the officer notes the bay empty: a car that charged unseen since the last round is gone
                self.emit(VehicleLeft(ts, site, bay.id, PATROL))
            if visit is None:
                continue
            if noted is None:
                read = self.identifier.patrol_read(visit.plate_true)
                self._last_seen[bay.id] = (visit.visit_id, read.plate or "")
                if visit.plate_seen is None:
                    visit.plate_seen, visit.read_confidence = read.plate, read.confidence
                self.emit(VehicleArrived(ts, site, bay.id, PATROL))
            self.emit(VehicleIdentified(ts, site, bay.id, self._last_seen[bay.id][1] or None, 1.0, PATROL))


def make_observer(model: "ObservedSite", identifier: Identifier, emit: Callable[[Event], None]) -> Observer:
    enforcement = model.scenario.site.enforcement
    if enforcement.mode == "anpr":
        return AnprCamera(model, identifier, emit)
    if enforcement.mode == "patrol":
        return Patrol(model, identifier, emit, enforcement.patrol_interval_min, enforcement.patrol_offset_min)
    return Observer(model, identifier, emit)
