"""A real site running on the shared core: cameras, chargers, rules and store in one process.

Everything the twin's world does through SimPy, this does through asyncio
and threads, and then hands the same events to the same rules engine:

* the central system (core/csms) serves the site's chargers over websockets;
  its session events reach the rules engine and the bay's charging lock;
* each camera grabs on its own thread; a task per camera samples frames,
  reads plates only in bays whose ROI moved (off the event loop), and turns
  what it saw into arrivals, reads and departures (live/occupancy.py);
* accepted plates of registered vehicles start their bay's charger (the
  ANPR authentication proxy); an overstay stops it where the site asks;
  a restricted or banned vehicle in a bay can make its EVSE unavailable;
* decisions on marginal reads arrive from the review queue in the store;
* every event is in the store before anything acts on it, and a restart
  replays the store, so a killed process loses nothing and repeats nothing.

The core never learns it is live: only this file and the adapters do.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import asdict
from typing import Any

from baytwin.core.clock import Clock, WallClock
from baytwin.core.csms.central import CentralSystem, Command
from baytwin.core.csms.server import CsmsServer
from baytwin.core.csms.service import issued_session_ids, open_sessions, purge_periodically
from baytwin.core.events import (
    ActionTaken,
    Event,
    PlateRead,
    SessionEvent,
    VehicleIdentified,
    VehicleLeft,
    ViolationOpened,
)
from baytwin.core.ocr.detector import Candidate
from baytwin.core.ocr.pipeline import PlateReader
from baytwin.core.rules.engine import RulesEngine
from baytwin.core.site import Bay, SiteInfo
from baytwin.core.store.log import EventLog
from baytwin.core.store.signing import Signer
from baytwin.core.store.writer import StoreWriter, WriteTimes
from baytwin.live.barriers import site_barriers
from baytwin.live.bay_watch import BayWatch
from baytwin.live.camera import Camera, Frame
from baytwin.live.health import live_report
from baytwin.live.occupancy import Observation, Occupancy
from baytwin.live.reader import site_reader
from baytwin.live.recovery import recover
from baytwin.live.review import resolutions_after
from baytwin.live.sensors import BaySensors
from baytwin.live.site import Site
from baytwin.live.status import write_status

LOG = logging.getLogger("baytwin.live")
REVIEW = "review"  # source of an identification an operator vouched for


class LiveRunner:
    def __init__(self, site: Site, log: EventLog | None, clock: Clock | None = None,
                 reader: PlateReader | None = None, poll_s: float = 0.2, status_every_s: float = 2.0) -> None:
        self.site, self.log = site, log
        self.clock = clock or WallClock()
        self.reader = reader or site_reader(site)
        self.poll_s, self.status_every_s = poll_s, status_every_s
        bays = tuple(Bay(b) for b in site.bays())
        self.engine = RulesEngine(site.policy, SiteInfo(site.id, site.spec.site.timezone, bays), site.registry)
        self.occupancy = Occupancy(site.id, site.spec.occupancy.arrive_samples, site.spec.occupancy.leave_after_s,
                                   reader=self.reader.label())
        self.writer = StoreWriter(log) if log is not None else None  # every write, in decision order, off the loop
        self.signer = _checkpoint_signer(site) if log is not None and site.spec.store.checkpoints else None
        self.central = CentralSystem(site.csms, self._from_central, authorizer=self.engine)
        self.server = CsmsServer(self.central, self.clock)
        self.cameras: dict[str, Camera] = {}
        self.watches: dict[str, dict[str, BayWatch]] = {}
        self.unavailable: set[str] = set()  # bays whose EVSE was made inoperative for a denied vehicle
        self.port: int | None = None
        self.status_writes = WriteTimes()  # the status written every few seconds: the store's pulse for /health
        self.server.health = lambda: live_report(self)
        self.counts = {"events": 0, "violations": 0, "actions": 0, "commands": 0}
        self._review_seq = 0
        self._tasks: list[asyncio.Task[Any]] = []
        # bay sensors over MQTT or a webhook: their events go in on the loop, their writes awaited off it
        self.sensors = BaySensors(site, self.occupancy, lambda events: self._decide(events)[1], self.clock) \
            if site.spec.sensors is not None else None
        self.barriers = site_barriers(site, self.clock)  # entry/exit barriers and pay terminals, if the site has them

    # --- lifecycle --------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int | None = None, ssl=None) -> int:  # type: ignore[no-untyped-def]
        """Recover from the store, then listen for chargers and open the cameras; returns the CSMS port."""
        self._recover()
        self.central.not_yet_connected(self.clock.now())  # until a charger connects, its bays cannot charge
        csms_port = port if port is not None else self.site.spec.listen.port
        self.port = await self.server.start(host, csms_port, ssl)
        LOG.info("site %s: central system on %s:%d", self.site.id, host, self.port)
        for name in self.site.spec.cameras:
            self.cameras[name] = Camera(name, self.site.camera_source(name), clock=self.clock.now).start()
            self._tasks.append(asyncio.create_task(self._watch(name), name=f"watch-{name}"))
        self._tasks.append(asyncio.create_task(self._tick(), name="rules-timers"))
        if self.log is not None:
            self._tasks.append(asyncio.create_task(self._poll_reviews(), name="review-queue"))
        if self.log is not None and self.writer is not None:  # operators' commands to chargers, asked through the store
            from baytwin.core.csms.operator_relay import CommandRelay

            relay = CommandRelay(self.log, self.writer, self.server, self.site.id, self.clock.now)
            self._tasks.append(asyncio.create_task(relay.run(), name="operator-commands"))
        self._tasks.append(asyncio.create_task(self._report_status(), name="status"))
        if self.log is not None:  # a site that runs for months keeps no personal data past its retention
            retention = self.engine.policy.retention
            self._tasks.append(asyncio.create_task(
                purge_periodically(self.log, self.clock.now, retention_for=lambda _site: retention), name="retention"))
        store = self.site.spec.store
        if self.log is not None and self.signer is not None and store.checkpoints:  # the head, anchored outside the database
            from baytwin.core.store.checkpoint_timer import checkpoint_periodically

            self._tasks.append(asyncio.create_task(checkpoint_periodically(
                self.log.engine, self.signer, self.site.resolve(store.checkpoints), self.clock.now,
                every_s=store.checkpoint_every_s), name="checkpoints"))
        if self.sensors is not None:
            await self.sensors.start(ssl=ssl)
        if self.barriers is not None:
            await self.barriers.start(ssl=ssl)
        return self.port

    async def stop(self) -> None:
        """Stop taking input, let what is in flight finish, write the last status. Nothing is lost:
        every event was stored when it happened."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for camera in self.cameras.values():
            await asyncio.to_thread(camera.stop)
        if self.sensors is not None:
            await self.sensors.stop()
        if self.barriers is not None:
            await self.barriers.stop()
        await self.server.stop()
        self._advance()
        self._write_status(running=False)
        if self.writer is not None:
            await asyncio.to_thread(self.writer.close)
        LOG.info("site %s stopped: %s", self.site.id, self.counts)

    async def run(self, stop: asyncio.Event, host: str = "127.0.0.1", port: int | None = None, ssl=None) -> None:  # type: ignore[no-untyped-def]
        await self.start(host, port, ssl)
        try:
            await stop.wait()
        finally:
            await self.stop()

    # --- the one way in: events to store, rules and actions ------------------------------------------------

    def ingest(self, events: list[Event], crops: dict[int, bytes] | None = None) -> list[Event]:
        """Apply input events: the rules engine decides, everything is stored, then actions go out.
        When this returns, the events and decisions are in the store."""
        outputs, written = self._decide(events, crops)
        if written is not None:
            written.result()
        return outputs

    def _decide(self, events: list[Event], crops: dict[int, bytes] | None = None) -> tuple[list[Event], Future[Any] | None]:
        """The rules engine's decisions on ``events``, all of it queued for the store (in decision order:
        one writer thread), and the actions sent; returns the decisions and the write to wait for."""
        outputs: list[Event] = []
        for event in events:
            if isinstance(event, SessionEvent):
                self.occupancy.session(event)
            visit = self.engine.visit(event.bay) if self.barriers is not None else None
            outputs += self.engine.handle(event)
            if self.barriers is not None:  # reads and charging sessions are the barriers' evidence and validation
                self.barriers.from_site(event, visit)
        written = self._queue_record(events + outputs, crops)
        for event in events:
            self._follow_input(event)
        self._follow_outputs(outputs)
        return outputs, written

    def _from_central(self, events: list[Event]) -> object:
        """A charger's events: the station answers once the returned write has committed."""
        _, written = self._decide(events)
        return asyncio.wrap_future(written) if written is not None else None

    def _record(self, events: list[Event], crops: dict[int, bytes] | None = None) -> None:
        written = self._queue_record(events, crops)
        if written is not None:
            written.result()

    def _queue_record(self, events: list[Event], crops: dict[int, bytes] | None = None) -> Future[Any] | None:
        if not events:
            return None
        self.counts["events"] += len(events)
        for event in events:
            LOG.info("%s bay=%s %s", event.kind, event.bay, _brief(event))
        if self.writer is None:
            return None
        indexed = {i: crops[id(e)] for i, e in enumerate(events) if crops and id(e) in crops}
        return self.writer.submit(events, indexed or None)

    def _follow_input(self, event: Event) -> None:
        now = self.clock.now()
        if isinstance(event, VehicleIdentified) and event.plate:
            vehicle = self.site.registry.vehicle(event.plate)
            token = vehicle.id_tokens[0] if vehicle and vehicle.id_tokens else None
            self._send(self.central.plate_accepted(event.bay, event.plate, token, now))
            if self.site.csms.unavailable_for_denied and not self.engine.authorize(None, event.plate, now):
                self._set_available(event.bay, False)
        elif isinstance(event, VehicleLeft) and event.bay in self.unavailable:
            self._set_available(event.bay, True)

    def _follow_outputs(self, outputs: list[Event]) -> None:
        for output in outputs:
            if isinstance(output, ViolationOpened):
                self.counts["violations"] += 1
                if output.rule == "overstay":
                    self._send(self.central.overstay(output.bay))
            elif isinstance(output, ActionTaken):
                self.counts["actions"] += 1
                denied = output.action in ("restrict", "ban")
                if denied and self.site.csms.unavailable_for_denied and self.engine.visit(output.bay) is not None:
                    self._set_available(output.bay, False)

    def _set_available(self, bay: str, operative: bool) -> None:
        where = self.site.csms.evse_for_bay(bay)
        if where is None:
            return
        (self.unavailable.discard if operative else self.unavailable.add)(bay)
        self._send([Command(where[0], "availability", evse=where[1], operative=operative)])

    def _send(self, commands: list[Command]) -> None:
        for command in commands:
            if command.station not in self.server.connected:
                LOG.warning("cannot %s at %s: charger not connected", command.action, command.station)
                continue
            self.counts["commands"] += 1
            self.server.dispatch(command)  # its own task: never inside a charger's handler

    # --- recovery ------------------------------------------------------------------------------------------

    def _recover(self) -> None:
        if self.log is None:
            return
        recovered = recover(self.engine, self.log, self.site.id)
        if recovered.missing:
            LOG.warning("storing %d decision(s) the last run made but did not write", len(recovered.missing))
            self._record(recovered.missing)
        restored = self.central.restore(open_sessions(self.log, self.site.id), issued_session_ids(self.log, self.site.id))
        for bay in self.site.bays():
            visit = self.engine.visit(bay)
            if visit is not None:  # the camera will find the same car; it must not be a new arrival
                state = self.occupancy.state(bay)
                state.occupied, state.since, state.last_seen = True, visit.arrived_at, self.clock.now()
                state.plate, state.identified = visit.plate, visit.plate is not None
                state.session = visit.session_id if visit.plugged else None
        self._review_seq = recovered.head_seq
        if recovered.inputs:
            LOG.info("resumed from the store: %d events replayed, %d open transaction(s)", recovered.inputs, restored)

    # --- tasks ---------------------------------------------------------------------------------------------

    async def _watch(self, name: str) -> None:
        """Sample one camera at its ``sample_fps``; read where something moved; turn it into events."""
        camera, spec = self.cameras[name], self.site.spec.cameras[name]
        period = 1.0 / spec.sample_fps
        seq, next_sample = 0, 0.0
        blind_after_s = max(5.0, self.site.spec.occupancy.leave_after_s)
        while True:
            frame = await asyncio.to_thread(camera.wait_for, seq, 1.0)
            if frame is None:
                health = camera.health()
                if health.ended:
                    LOG.info("camera %s: end of file", name)
                    self._camera_lost(name, "the camera's stream ended")
                    return
                age = health.last_frame_age_s
                if not health.connected and (age is None or age >= blind_after_s) or (age or 0.0) >= blind_after_s:
                    self._camera_lost(name, f"no picture from the camera ({health.error or 'no frames'})")
                continue
            seq = frame.seq
            if time.monotonic() < next_sample:
                continue
            next_sample = time.monotonic() + period
            if name not in self.watches:
                height, width = frame.image.shape[:2]
                self.watches[name] = {bay: BayWatch(bay, roi, (width, height), spec.frames_per_vehicle)
                                      for bay, roi in spec.bays.items()}
            identified = {bay: self.occupancy.state(bay).identified for bay in spec.bays}
            observations = await asyncio.to_thread(self._look, name, frame, identified)
            for bay, observation in observations:
                events = self.occupancy.camera(bay, observation)
                if events:
                    crops = {id(e): self.occupancy.crops.pop(id(e)) for e in events if id(e) in self.occupancy.crops}
                    _, written = self._decide(events, crops)
                    if written is not None:  # stored before this camera's next sample, without holding the loop
                        await asyncio.wrap_future(written)

    def _camera_lost(self, name: str, reason: str) -> None:
        """Every bay of a camera that can no longer see becomes unknown (once per outage)."""
        bays = list(self.site.spec.cameras[name].bays)
        if all(self.occupancy.state(bay).unknown is not None for bay in bays):
            return
        LOG.warning("camera %s: %s; its bays are unknown until it sees again", name, reason)
        events = self.occupancy.camera_lost(bays, self.clock.now(), reason)
        self.ingest(events)

    def _look(self, name: str, frame: Frame, identified: dict[str, bool]) -> list[tuple[str, Observation]]:
        """Every bay of one camera in one frame (runs on a worker thread: OCR must not hold up chargers).

        The detector runs at most once per frame, and only if some bay's gate lets it look."""
        found: list[Sequence[Candidate]] = []

        def detections() -> Sequence[Candidate]:
            if not found:
                found.append(self.reader.detector.detect(frame.image))
            return found[0]

        return [(bay, watch.sample(frame.image, frame.ts, self.reader, identified[bay], detections))
                for bay, watch in self.watches[name].items()]

    async def _tick(self) -> None:
        while True:
            self._advance()
            await asyncio.sleep(self.poll_s)

    def _advance(self) -> None:
        due = self.engine.next_due
        now = self.clock.now()
        if due is not None and due <= now:
            outputs = self.engine.advance(now)
            self._record(outputs)
            self._follow_outputs(outputs)

    async def _poll_reviews(self) -> None:
        """Operators decide in another process (CLI, dashboard): pick their decisions up from the store."""
        assert self.log is not None
        while True:
            try:
                for seq, decision, read_ts in await asyncio.to_thread(resolutions_after, self.log, self.site.id, self._review_seq):
                    self._review_seq = max(self._review_seq, seq)
                    self._apply_review(decision.bay, decision.plate, read_ts)
            except Exception as err:  # noqa: BLE001 - the store may be briefly unreachable; decisions wait in it
                LOG.warning("review queue: %s", err)
            await asyncio.sleep(max(self.poll_s, 1.0))

    def _apply_review(self, bay: str, plate: str | None, read_ts: float) -> None:
        visit = self.engine.visit(bay)
        if plate is None or visit is None or visit.plate is not None or visit.arrived_at > read_ts:
            return  # rejected, or that vehicle has gone (or is already known): the decision stays on record
        state = self.occupancy.state(bay)
        state.plate, state.confidence, state.identified = plate, 1.0, True
        self.ingest([VehicleIdentified(self.clock.now(), self.site.id, bay, plate, 1.0, REVIEW)])

    async def _report_status(self) -> None:
        while True:
            try:
                self._write_status(running=True)
                self.status_writes.ok()
            except Exception as err:  # noqa: BLE001 - the store may be briefly unreachable; /health says so meanwhile
                self.status_writes.failed()
                LOG.warning("status not written: %s", err)
            await asyncio.sleep(self.status_every_s)

    # --- status ------------------------------------------------------------------------------------------

    def status(self, running: bool = True) -> dict[str, Any]:
        """What ``baytwin live status`` and the dashboard show that the store alone cannot know."""
        bays = {}
        chargers_down = self.central.unavailable_bays()
        for bay in self.site.bays():
            s = self.occupancy.state(bay)
            bays[bay] = {"occupied": s.occupied, "since": s.since, "identified": s.identified,
                         "locked": s.locked, "current_a": s.current_a, "session": s.session,
                         "source": s.source if s.occupied else None, "unavailable": bay in self.unavailable,
                         "unknown": s.unknown, "charger_unavailable": chargers_down.get(bay)}
        cameras = {name: asdict(camera.health()) for name, camera in self.cameras.items()}
        for name, watches in self.watches.items():
            cameras[name]["frames_read"] = sum(w.looks for w in watches.values())
        return {"site": self.site.id, "running": running, "updated_at": self.clock.now(), "csms_port": self.port,
                "chargers": sorted(self.server.connected), "bays": bays, "cameras": cameras, "counts": dict(self.counts),
                "sensors": self.sensors.status() if self.sensors is not None else None,
                "barriers": self.barriers.status() if self.barriers is not None else None}

    def _write_status(self, running: bool) -> None:
        if self.log is None:
            return
        write_status(self.log, self.site.id, self.status(running))


def _brief(event: Event) -> str:
    if isinstance(event, PlateRead):
        return f"status={event.status} confidence={event.confidence:.2f}"
    for name in ("session_id", "rule", "action", "source"):
        value = getattr(event, name, None)
        if value:
            return f"{name}={value}"
    return ""


def _checkpoint_signer(site: Site) -> "Signer":
    """The site's signing key for checkpoints (``store.signing_key``, else beside ``store.key_file``);
    a missing key is a set-up error found before anything starts (SigningProblem)."""
    from baytwin.core.store.signing import signer_from_environment

    store = site.spec.store
    key_file = site.resolve(store.key_file) if store.key_file else None
    return signer_from_environment(site.resolve(store.signing_key) if store.signing_key else None, key_file)
