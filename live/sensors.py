"""The site's bay sensors, whatever carries their messages, as input to the occupancy tracker.

Each reading becomes ``Occupancy.sensor(...)`` and its events go the one way
every event goes in (the runner's decide-and-store), on the event loop. A
message that cannot be used (malformed payload, unknown topic or sensor id)
is one log line and nothing else: a sensor in a bad state must never take the
chargers down with it.

A sensor that cannot be heard is not evidence of anything. A bay whose sensor
has been silent for ``silent_after_s``, or whose broker has been unreachable for
``mqtt.unknown_after_s``, becomes unknown (``Occupancy.sensor_lost``, a
``BayUnobserved`` event): nobody is charged for time nobody watched. The
sensor's next reading brings the bay back.
"""

from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
from collections.abc import Callable
from concurrent.futures import Future
from http import HTTPStatus
from typing import Any

from baytwin.core.clock import Clock
from baytwin.core.events import Event
from baytwin.live.occupancy import Occupancy
from baytwin.live.sensor_payload import PayloadProblem, occupied_from
from baytwin.live.sensor_spec import SensorsSpec
from baytwin.live.sensors_mqtt import MqttSensors
from baytwin.live.sensors_webhook import SensorWebhook
from baytwin.live.site import Site

LOG = logging.getLogger("baytwin.live.sensors")

#: The runner's way in for events decided on the event loop: returns the store write to wait for, if any.
Decide = Callable[[list[Event]], "Future[Any] | None"]


class BaySensors:
    def __init__(self, site: Site, occupancy: Occupancy, decide: Decide, clock: Clock, check_every_s: float = 1.0) -> None:
        assert site.spec.sensors is not None
        self.spec: SensorsSpec = site.spec.sensors
        self.site, self.occupancy, self.decide, self.clock = site, occupancy, decide, clock
        self.check_every_s = check_every_s
        self.by_topic = {s.mqtt_topic: bay for bay, s in self.spec.bays.items() if s.mqtt_topic is not None}
        self.by_id = {s.webhook_id: bay for bay, s in self.spec.bays.items() if s.webhook_id is not None}
        self.heard: dict[str, float] = {}  # bay -> when its sensor last said something usable (or the start)
        self.lost: dict[str, str] = {}  # bays made unknown, and why; until their sensor is heard again
        self.counts = {"readings": 0, "rejected": 0}
        self.mqtt: MqttSensors | None = None
        self.mqtt_state = "starting"  # connected, or why not
        self.mqtt_down_since: float | None = None
        self.webhook: SensorWebhook | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, webhook_host: str | None = None, webhook_port: int | None = None,
                    ssl: ssl_module.SSLContext | None = None) -> None:
        now = self.clock.now()
        self.heard = dict.fromkeys(self.spec.bays, now)  # silence is counted from the start
        if self.spec.mqtt is not None:
            mqtt = self.spec.mqtt
            self.mqtt_down_since = now  # not connected yet: unknown after the same grace as a broker that drops
            ca_file = self.site.resolve(mqtt.ca_file) if mqtt.ca_file else None
            self.mqtt = MqttSensors(mqtt, list(self.by_topic), mqtt.client_id or f"baytwin-{self.site.id}",
                                    self._mqtt_message, self._mqtt_connected, ca_file)
            self.mqtt.start(asyncio.get_running_loop())
            LOG.info("bay sensors: MQTT broker %s, %d topic(s)", self.mqtt.where, len(self.by_topic))
        if self.spec.webhook is not None:
            self.webhook = SensorWebhook(self.spec.webhook, self._webhook_reading)
            port = await self.webhook.start(webhook_host, webhook_port, ssl)
            LOG.info("bay sensors: webhook on port %d at %s/<sensor id>", port, self.spec.webhook.path)
        self._task = asyncio.create_task(self._watch(), name="bay-sensors")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.webhook is not None:
            await self.webhook.stop()
        if self.mqtt is not None:
            await asyncio.to_thread(self.mqtt.stop)

    # --- readings ------------------------------------------------------------------------------------------

    def reading(self, bay: str, payload: bytes) -> Future[Any] | None:
        """One sensor message for ``bay``: events decided now; returns their store write. PayloadProblem if the
        payload says neither occupied nor free (the caller logs it, once)."""
        try:
            occupied = occupied_from(payload, self.spec.bays[bay].payload)
        except PayloadProblem:
            self.counts["rejected"] += 1
            raise
        self.counts["readings"] += 1
        now = self.clock.now()
        self.heard[bay] = now
        if self.lost.pop(bay, None) is not None:
            LOG.info("bay %s: its sensor is heard again", bay)
        events = self.occupancy.sensor(bay, occupied, now)
        return self.decide(events) if events else None

    def _mqtt_message(self, topic: str, payload: bytes) -> None:
        bay = self.by_topic.get(topic)
        if bay is None:
            self.counts["rejected"] += 1
            LOG.warning("bay sensors: message on unknown topic %r ignored", topic[:100])
            return
        try:
            written = self.reading(bay, payload)
        except PayloadProblem as problem:
            LOG.warning("bay %s: sensor message ignored: %s", bay, problem)
            return
        if written is not None:
            written.add_done_callback(_log_failed_write)

    async def _webhook_reading(self, sensor: str, payload: bytes) -> tuple[HTTPStatus, str]:
        bay = self.by_id.get(sensor)
        if bay is None:
            self.counts["rejected"] += 1
            return HTTPStatus.NOT_FOUND, f"unknown sensor id {sensor!r}"
        try:
            written = self.reading(bay, payload)
        except PayloadProblem as problem:
            return HTTPStatus.BAD_REQUEST, f"bay {bay}: {problem}"
        if written is not None:
            try:
                await asyncio.wrap_future(written)
            except Exception:  # noqa: BLE001 - the store refused it: the sender should try again
                LOG.warning("bay %s: sensor reading not stored", bay)
                return HTTPStatus.SERVICE_UNAVAILABLE, "not stored; try again"
        return HTTPStatus.NO_CONTENT, ""

    # --- connection and silence ----------------------------------------------------------------------------

    def _mqtt_connected(self, connected: bool, why: str) -> None:
        if connected:
            if self.mqtt_state != "connected":
                LOG.info("bay sensors: connected to the MQTT broker %s", self.mqtt.where if self.mqtt else "")
            self.mqtt_state, self.mqtt_down_since = "connected", None
            return
        if self.mqtt_state == "connected" or self.mqtt_state == "starting":
            LOG.warning("bay sensors: MQTT broker %s: %s; reconnecting", self.mqtt.where if self.mqtt else "", why)
        if self.mqtt_down_since is None:
            self.mqtt_down_since = self.clock.now()
        self.mqtt_state = why

    async def _watch(self) -> None:
        while True:
            self.check()
            await asyncio.sleep(self.check_every_s)

    def check(self) -> None:
        """Make unknown every bay whose sensor cannot be heard (once per outage)."""
        now = self.clock.now()
        broker_down = (self.spec.mqtt is not None and self.mqtt_down_since is not None
                       and now - self.mqtt_down_since >= self.spec.mqtt.unknown_after_s)
        events: list[Event] = []
        for bay, spec in self.spec.bays.items():
            if bay in self.lost:
                continue
            if spec.mqtt_topic is not None and broker_down:
                reason = "its sensor's MQTT broker is unreachable"
            elif self.spec.silent_after_s is not None and now - self.heard.get(bay, now) >= self.spec.silent_after_s:
                reason = f"its sensor has been silent for {self.spec.silent_after_s:g} s"
            else:
                continue
            LOG.warning("bay %s is unknown: %s", bay, reason)
            self.lost[bay] = reason
            events += self.occupancy.sensor_lost(bay, now, reason)
        if events:
            written = self.decide(events)
            if written is not None:
                written.add_done_callback(_log_failed_write)

    def status(self) -> dict[str, Any]:
        """For the live status: how the sensors are reached and which bays they cannot report (no payloads)."""
        return {"mqtt": None if self.spec.mqtt is None else self.mqtt_state,
                "webhook_port": self.webhook.port if self.webhook else None,
                "unknown": sorted(self.lost), **self.counts}


def _log_failed_write(written: Future[Any]) -> None:
    if not written.cancelled() and written.exception() is not None:
        LOG.warning("bay sensors: events not stored: %s", written.exception())
