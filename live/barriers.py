"""The car park's barriers and pay terminals on a real site: their events in over HTTP, open commands out.

The decisions are the gate controller's (core/parking/controller.py), the same code the twin runs; this
adapter only translates. A barrier controller or terminal POSTs JSON to ``<path>/<gate id>`` on the small
webhook server the bay sensors use (bounded requests, bearer token compared in constant time); the answer is
the decisions as JSON (an exit held says the amount due). Each opening is then sent to the gate's ``open_url``
as ``POST {"gate", "command": "open", "stay", "reason"}`` from a task of its own, retried with backoff for
``open_timeout_s``.

Nothing is lost: every event taken, every decision and every refused message (with its body and the one-line
reason) is appended to the journal, one JSON object a line, before the answer goes out; an open command that
could not be delivered is journaled too.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl as ssl_module
import urllib.error
import urllib.request
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from baytwin.core.clock import Clock
from baytwin.core.config import ConfigError
from baytwin.core.events import Event, SessionEnded, VehicleIdentified, event_as_dict
from baytwin.core.parking.controller import GateController
from baytwin.core.parking.events import (
    BarrierOpened,
    ChargingSession,
    PaymentMade,
    PaymentSystem,
    PresenceSeen,
    VehicleAtGate,
    VehiclePassed,
)
from baytwin.core.parking.policy import Parking
from baytwin.core.registry import Registry
from baytwin.live.barrier_payload import gate_event
from baytwin.live.barrier_spec import BarriersSpec
from baytwin.live.sensor_payload import PayloadProblem
from baytwin.live.sensors_webhook import SensorWebhook

if TYPE_CHECKING:
    from baytwin.core.rules.visit import Visit
    from baytwin.live.site import Site

LOG = logging.getLogger("baytwin.live.barriers")


class BarrierAdapter:
    def __init__(self, spec: BarriersSpec, site_id: str, parking: Parking, clock: Clock, journal: Path,
                 registry: Registry | None = None) -> None:
        self.spec, self.site_id, self.clock, self.journal = spec, site_id, clock, journal
        self.controller = GateController(site_id, parking, spec.capacity, registry)
        self.webhook = SensorWebhook(spec.webhook, self._message, name="barrier webhook")
        self.counts = {"messages": 0, "rejected": 0, "opens_sent": 0, "opens_failed": 0}
        self._opens: asyncio.Queue[BarrierOpened] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None

    async def start(self, host: str | None = None, port: int | None = None,
                    ssl: ssl_module.SSLContext | None = None) -> int:
        """Take up the journal's stays again, then listen for the gates (on the spec's host and port unless
        given); returns the port."""
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        replayed = self._replay()
        if replayed:
            LOG.info("barriers: %d event(s) replayed from the journal, %d car(s) inside", replayed,
                     self.controller.inside)
        self._sender = asyncio.create_task(self._send_opens(), name="barrier-opens")
        port = await self.webhook.start(host, port, ssl)
        LOG.info("barriers: webhook on port %d at %s/<gate id>, %d gate(s)", port, self.spec.webhook.path,
                 len(self.spec.gates))
        return port

    async def stop(self) -> None:
        await self.webhook.stop()
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
            self._sender = None

    def feed(self, event: Event) -> list[Event]:
        """One event (from a gate, or from the site itself: a bay camera's read, a charging session for
        validation) into the controller; its decisions journaled and the openings sent."""
        self._write({"in": event_as_dict(event)})  # first: an event that cannot be journaled is not taken (no 2xx)
        decisions = self.controller.handle(event)
        for decision in decisions:
            self._write({"out": event_as_dict(decision)})
            if isinstance(decision, BarrierOpened):
                self._opens.put_nowait(decision)
        return decisions

    def from_site(self, event: Event, visit: "Visit | None") -> None:
        """What the rest of the site knows that billing needs: a bay camera's accepted plate (evidence of a car on
        site) and a finished charging session with the plate of the car on it (validation). ``visit`` is the
        bay's visit as the rules engine held it before ``event``."""
        if isinstance(event, VehicleIdentified) and event.plate:
            self.feed(PresenceSeen(event.ts, self.site_id, event.bay, event.plate))
        elif isinstance(event, SessionEnded) and visit is not None and visit.plugged_at is not None:
            plate = visit.plate
            if plate is None and self.controller.registry is not None:
                plate = self.controller.registry.plate_for_token(visit.id_token)
            if plate is not None:
                minutes = max(0.0, (event.ts - visit.plugged_at) / 60.0)
                self.feed(ChargingSession(event.ts, self.site_id, event.bay, plate, None, event.session_id,
                                          visit.plugged_at, minutes))

    def status(self) -> dict[str, Any]:
        counts = self.controller.counts
        return {**self.counts, "inside": self.controller.inside, "payment_up": self.controller.payment_up,
                "held": len(self.controller.held_stays()), "tailgates": counts.tailgates_entry + counts.tailgates_exit,
                "unreadable_plates": counts.unreadable_entry + counts.unreadable_exit}

    def _replay(self) -> int:
        """The controller as it was: every event the journal took, handed to it again in order (its decisions
        were carried out when they were made, so none is sent again). A line that cannot be read is skipped
        and counted in the log, never fatal: the journal is appended to by this process only."""
        if not self.journal.is_file():
            return 0
        replayed, unreadable = 0, 0
        with self.journal.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    taken = json.loads(line).get("in")
                    event = _event_from(taken) if taken is not None else None
                except (ValueError, TypeError, KeyError, AttributeError):
                    unreadable += 1
                    continue
                if event is not None:
                    self.controller.handle(event)
                    replayed += 1
        if unreadable:
            LOG.warning("barriers: %d unreadable line(s) in the journal %s skipped", unreadable, self.journal.name)
        return replayed

    # --- in ------------------------------------------------------------------------------------------------

    async def _message(self, gate: str, body: bytes) -> tuple[HTTPStatus, str]:
        self.counts["messages"] += 1
        spec = self.spec.gates.get(gate)
        if spec is None:
            return self._refuse(gate, body, HTTPStatus.NOT_FOUND, f"unknown gate {gate!r}")
        try:
            event = gate_event(body, self.site_id, gate, spec.direction, self.clock.now())
        except PayloadProblem as problem:
            return self._refuse(gate, body, HTTPStatus.BAD_REQUEST, str(problem))
        decisions = self.feed(event)
        answer = {"decisions": [event_as_dict(d) for d in decisions]}
        return HTTPStatus.OK, json.dumps(answer, separators=(",", ":"))

    def _refuse(self, gate: str, body: bytes, status: HTTPStatus, reason: str) -> tuple[HTTPStatus, str]:
        """A message the controller cannot take: kept in the journal with its body, answered with the reason
        (the webhook logs it, one line)."""
        self.counts["rejected"] += 1
        self._write({"rejected": {"ts": self.clock.now(), "gate": gate, "problem": reason,
                                  "body": body.decode("utf-8", errors="backslashreplace")}})
        return status, reason

    def _write(self, record: dict[str, Any]) -> None:
        with self.journal.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")

    # --- out -----------------------------------------------------------------------------------------------

    async def _send_opens(self) -> None:
        while True:
            opening = await self._opens.get()
            delivered = await self._send_open(opening)
            self.counts["opens_sent" if delivered else "opens_failed"] += 1
            if not delivered:
                self._write({"open_failed": event_as_dict(opening)})

    async def _send_open(self, opening: BarrierOpened) -> bool:
        """POST the open command until the controller takes it (2xx) or ``open_timeout_s`` has passed."""
        spec = self.spec.gates[opening.bay]
        assert spec.open_url is not None
        body = json.dumps({"gate": opening.bay, "command": "open", "stay": opening.stay_id,
                           "reason": opening.reason}).encode()
        headers = {"Content-Type": "application/json"}
        if spec.open_token is not None:
            headers["Authorization"] = f"Bearer {spec.open_token.get_secret_value()}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.spec.open_timeout_s
        wait, problem = 0.1, ""
        while True:
            left = deadline - loop.time()
            try:
                status = await asyncio.to_thread(_post, spec.open_url, body, headers, max(0.1, min(left, 5.0)))
                if 200 <= status < 300:
                    return True
                problem = f"answered {status}"
            except (OSError, ValueError) as err:
                problem = str(getattr(err, "reason", None) or err)[:120]
            if loop.time() + wait >= deadline:
                LOG.warning("barrier %s: open command not delivered in %g s (%s)", opening.bay,
                            self.spec.open_timeout_s, problem)
                return False
            await asyncio.sleep(wait)
            wait = min(wait * 2, 2.0)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - the site file's http(s) URL
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


_GATE_EVENTS: dict[str, type[Event]] = {cls.kind: cls for cls in (
    VehicleAtGate, VehiclePassed, PaymentMade, PaymentSystem, ChargingSession, PresenceSeen)}


def _event_from(data: dict[str, Any]) -> Event | None:
    cls = _GATE_EVENTS.get(data["kind"])
    if cls is None:
        return None
    return cls(**{k: v for k, v in data.items() if k != "kind"})


def site_barriers(site: "Site", clock: Clock) -> BarrierAdapter | None:
    """The site's barrier adapter, if its file has a ``barriers`` section (its journal beside the site file)."""
    spec = site.spec.barriers
    if spec is None or site.parking is None:
        return None
    journal = site.resolve(spec.journal)
    try:  # found now, as a set-up error, rather than as gates whose events are never answered
        journal.parent.mkdir(parents=True, exist_ok=True)
        with journal.open("a", encoding="utf-8"):
            pass
    except OSError as err:
        raise ConfigError(site.path, "barriers.journal", f"cannot write {journal} ({err.strerror or err})") from None
    return BarrierAdapter(spec, site.id, site.parking, clock, journal, site.registry)
