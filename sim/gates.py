"""Barriers and pay-on-exit in the twin: drivers pass the entry gate on arrival and the exit gate on leaving.

The decisions are the core's (core/parking/controller.py); this module only plays the site's part: the gate
cameras (with their unreadable share), the ticket machine, the loop sensors, the drivers who follow the car
ahead through, the pay terminals, the exit lanes and the payment system's outages. It draws from a random
stream of its own, so a scenario with gates meets the same drivers at the same times as one without, and a
scenario without gates runs exactly as before (nothing here is built).

Two simplifications, both on the side of the bays' own results staying what they were: passing the entry
gate takes no time, and a car that finds no bay it would use is turned away by the full sign before the
barrier (it never enters). Leaving the bay comes first; the exit queue follows it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import simpy

from baytwin.core.events import Event
from baytwin.core.parking.controller import GateController
from baytwin.core.parking.events import (
    ENTRY,
    EXIT,
    BarrierOpened,
    ChargingSession,
    ExitHeld,
    PaymentMade,
    PaymentSystem,
    PresenceSeen,
    StayClosed,
    TicketIssued,
    VehicleAtGate,
    VehiclePassed,
)
from baytwin.core.parking.policy import Parking
from baytwin.core.parking.tariff import price
from baytwin.sim.gate_spec import Gates
from baytwin.sim.world import VisitRecord

if TYPE_CHECKING:
    from baytwin.core.clock import Clock
    from baytwin.core.registry import Registry
    from baytwin.sim.scenario import Scenario

ENTRY_GATE = "entry-1"
BILLED_LATER = frozenset({"bill_later", "no_exit"})


class GatedSite(Protocol):
    """What the gates read of the site the model assembled (the model module is not imported back)."""

    env: simpy.Environment
    clock: "Clock"
    seed: int
    site_id: str
    scenario: "Scenario"
    registry: "Registry"


@dataclass(slots=True)
class GatePassage:
    """One visit's way through the barriers, true and as billed (the property the tests check)."""

    visit_id: int
    entered: float  # true time through the entry (arrival)
    tailgated: bool
    ticket: str | None = None
    reached_exit: float | None = None
    left: float | None = None  # true time through the exit barrier
    stay: StayClosed | None = None


class SiteGates:
    def __init__(self, model: GatedSite, spec: Gates, parking: Parking) -> None:
        self.model, self.spec, self.parking = model, spec, parking
        self.env, self.clock = model.env, model.clock
        self.rng = random.Random(f"baytwin:{model.seed}:gates")
        self.controller = GateController(model.site_id, parking, registry=model.registry)
        self.passages: dict[int, GatePassage] = {}
        self.held_outage = 0
        self._lanes: simpy.Store = simpy.Store(self.env)
        for lane in range(spec.exit.lanes):
            self._lanes.put(f"exit-{lane + 1}")
        self._held: dict[str, simpy.Event] = {}  # stay id -> fired when the controller settles it again
        self._queue_s: list[float] = []  # from joining the exit queue to the barrier opening, per exit
        if spec.payment_outages:
            self.env.process(self._outages())

    # --- the hooks the model calls -----------------------------------------------------------------------

    def entered(self, record: VisitRecord) -> None:
        """A car reached a bay: it came through the entry barrier (or behind the car ahead) just now."""
        u_tail, u_read = self.rng.random(), self.rng.random()
        now = self.clock.now()
        passage = GatePassage(record.visit_id, now, u_tail < self.spec.tailgate_probability)
        self.passages[record.visit_id] = passage
        if not passage.tailgated:
            gate = self.spec.entry
            plate = record.plate_true if gate.reader == "anpr" and u_read >= gate.unreadable_rate else None
            for decision in self._feed(VehicleAtGate(now, self.model.site_id, ENTRY_GATE, ENTRY, plate,
                                                     camera=gate.reader == "anpr")):
                if isinstance(decision, TicketIssued):
                    passage.ticket = decision.ticket
        self._feed(VehiclePassed(now, self.model.site_id, ENTRY_GATE, ENTRY))

    def left(self, record: VisitRecord) -> None:
        """The car left its bay: what the site knows of it is reported, and it drives to the exit."""
        passage = self.passages.get(record.visit_id)
        if passage is None:
            return
        site = self.model.site_id
        key_plate = None if passage.ticket is not None else record.plate_true
        if record.plug_in is not None:
            # the driver validates the stay at the terminal with the charging receipt: ticket, else plate
            end = record.unplug if record.unplug is not None else self.clock.now()
            self._feed(ChargingSession(end, site, record.bay or "", key_plate, passage.ticket,
                                       f"visit-{record.visit_id}", record.plug_in, (end - record.plug_in) / 60.0))
        if record.plate_seen is not None:  # the bay camera's accepted read: evidence of the car on site
            self._feed(PresenceSeen(record.arrival, site, record.bay or "", record.plate_seen))
        # drawn now, in the order cars leave their bays (the same under any parking policy), not in queue order
        u_read = self.rng.random()
        pay_s = self.spec.pay_min.sample(self.rng) * 60.0
        keypad_s = self.spec.keypad_min.sample(self.rng) * 60.0
        self.env.process(self._exit(record, passage, u_read, pay_s, keypad_s))

    # --- the exit ----------------------------------------------------------------------------------------

    def _exit(self, record: VisitRecord, passage: GatePassage, u_read: float, pay_s: float,  # type: ignore[no-untyped-def]
              keypad_s: float):
        env, site, gate = self.env, self.model.site_id, self.spec.exit
        joined, joined_at = env.now, self.clock.now()
        lane = yield self._lanes.get()
        passage.reached_exit = self.clock.now()
        plate = record.plate_true if gate.reader == "anpr" and u_read >= gate.unreadable_rate else None
        keyed = None
        if plate is None and passage.ticket is None:  # no read, no ticket: the driver types the plate
            yield env.timeout(keypad_s)
            keyed = record.plate_true
        at_gate = VehicleAtGate(self.clock.now(), site, lane, EXIT, plate, passage.ticket, keyed,
                                camera=gate.reader == "anpr", queued_since=joined_at)
        decisions = self._feed(at_gate)
        while not any(isinstance(d, BarrierOpened) for d in decisions):
            held = next((d for d in decisions if isinstance(d, ExitHeld)), None)
            if held is None:  # neither opened nor held: nothing more the driver can do at this barrier
                break
            if held.reason == "payment_down":
                self.held_outage += 1
                settled = self._held[held.stay_id] = env.event()
                decisions = yield settled
                continue
            yield env.timeout(pay_s)
            decisions = self._feed(PaymentMade(self.clock.now(), site, lane, plate or keyed, passage.ticket,
                                               held.amount))
        for decision in decisions:
            if isinstance(decision, StayClosed):
                passage.stay = decision
        passage.left = self.clock.now()
        self._feed(VehiclePassed(self.clock.now(), site, lane, EXIT))
        self._queue_s.append(env.now - joined)
        yield self._lanes.put(lane)

    def _outages(self):  # type: ignore[no-untyped-def]
        site = self.model.site_id
        for outage in sorted(self.spec.payment_outages, key=lambda o: o.start_h):
            start, end = outage.start_h * 3600.0, outage.end_h * 3600.0
            if self.env.now < start:
                yield self.env.timeout(start - self.env.now)
            self._feed(PaymentSystem(self.clock.now(), site, "payments", False))
            if self.env.now < end:
                yield self.env.timeout(end - self.env.now)
            back = self._feed(PaymentSystem(self.clock.now(), site, "payments", True))
            by_stay: dict[str, list[Event]] = {}
            for decision in back:
                by_stay.setdefault(getattr(decision, "stay_id", ""), []).append(decision)
            for stay_id, decisions in by_stay.items():
                waiting = self._held.pop(stay_id, None)
                if waiting is not None:
                    waiting.succeed(decisions)

    def _feed(self, event: Event) -> list[Event]:
        return self.controller.handle(event)

    # --- figures -----------------------------------------------------------------------------------------

    def figures(self) -> dict[str, Any]:
        """The summary's gate figures (docs/outputs.md)."""
        stays = [p.stay for p in self.passages.values() if p.stay is not None]
        counts = self.controller.counts
        collected = sum(s.paid for s in stays)
        later = sum(max(0.0, s.amount - s.paid) for s in stays if s.settlement in BILLED_LATER)
        lost = sum(max(0.0, s.amount - s.paid) for s in stays if s.settlement == "unbillable")
        forgone = 0.0
        for s in stays:
            if s.validated_minutes > 0:  # what the validated minutes would have cost
                unvalidated = price(self.parking, s.minutes, False, s.entered is not None).amount
                forgone += max(0.0, unvalidated - s.amount)
        queue_min = sorted(q / 60.0 for q in self._queue_s)
        return {
            "gate_entries": counts.entries,
            "gate_exits": len(stays),
            "parking_revenue": round(collected + later, 2),
            "parking_collected_at_exit": round(collected, 2),
            "parking_billed_later": round(later, 2),
            "parking_unbillable": round(lost, 2),
            "validated_stays": sum(1 for s in stays if s.validated),
            "validation_discount": round(forgone, 2),
            "gate_exits_held": counts.held,
            "gate_exits_held_for_outage": self.held_outage,
            "gate_entries_refused": counts.refused,
            "gate_unreadable_plates": counts.unreadable_entry + counts.unreadable_exit,
            "gate_tickets_issued": sum(1 for p in self.passages.values() if p.ticket is not None),
            "gate_tailgates": counts.tailgates_entry + counts.tailgates_exit,
            "gate_stays_for_review": sum(1 for s in stays if s.review),
            "parking_billed_for_review": round(sum(s.amount for s in stays if s.review), 2),
            "gate_exit_queue_min": round(sum(queue_min), 2),
            "gate_exit_queue_min_mean": round(sum(queue_min) / len(queue_min), 3) if queue_min else None,
            "gate_exit_queue_min_p95": round(queue_min[int(0.95 * (len(queue_min) - 1))], 3) if queue_min else None,
        }


def site_gates(model: GatedSite) -> SiteGates | None:
    """The site's gates, if its scenario declares them (a parking section's defaults apply without one)."""
    spec = model.scenario.site.gates
    if spec is None:
        return None
    return SiteGates(model, spec, model.scenario.parking or Parking())


def gate_figures(model: object) -> dict[str, Any]:
    """The gate figures of a run, none for a site without gates (its summary is what it always was)."""
    gates: SiteGates | None = getattr(model, "gates", None)
    return gates.figures() if gates is not None else {}
