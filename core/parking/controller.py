"""The gate controller: gate, loop, terminal and charging events in; barrier decisions and billed stays out.

Synchronous and deterministic, like the rules engine: time is the timestamps of the events it is given
(stamped by the adapter's injected clock), it draws no random numbers and knows nothing of the mode it runs
in. The twin and a live barrier adapter feed it the same events and carry out the same decisions.

Fairness is the design rule of every failure mode:

* an unreadable plate at the entry gets a ticket; at the exit the ticket, or a plate typed at the terminal,
  finds the stay;
* a stay is billed from its recorded entry; a car with no entry record (it tailgated in, or its entry was
  missed) is billed only from the earliest evidence of it on site (a bay camera's read, a charging session),
  and flagged for review; with no evidence it owes nothing and the barrier opens: a car is never held on
  guesswork, and a start taken from evidence never makes a stay "over the maximum";
* the payment system down: the policy opens and bills the plate later, or holds the car until it is back; a
  car that can be billed by nothing (a ticket and no plate) is let out and counted as unbillable;
* a stay's price is fixed when the car reaches the exit: time spent held there is never charged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from baytwin.core.events import Event
from baytwin.core.parking.events import (
    ENTRY,
    EXIT,
    BarrierOpened,
    ChargingSession,
    EntryRefused,
    ExitHeld,
    PaymentMade,
    PaymentSystem,
    PresenceSeen,
    StayClosed,
    TailgateDetected,
    TicketIssued,
    VehicleAtGate,
    VehiclePassed,
)
from baytwin.core.parking.policy import Parking
from baytwin.core.parking.tariff import Price, price
from baytwin.core.registry import Registry

_CENT = 0.005


@dataclass(slots=True)
class Stay:
    """One car's stay in the car park as the controller knows it."""

    stay_id: str
    plate: str | None
    ticket: str | None
    entered: float | None  # None: no entry record
    first_seen: float | None = None  # earliest evidence on site (for a stay with no entry record)
    last_seen: float | None = None  # latest evidence on site
    validated: bool = False
    paid: float = 0.0
    at_exit: float | None = None  # when it reached the exit (the price is fixed then)
    exit_gate: str | None = None
    held: str | None = None  # why the barrier is shut in front of it
    permit: bool = False  # a permit holder's stay (free when the policy says so)
    was_held: bool = False  # the barrier stayed shut in front of it at least once

    @property
    def billed_from(self) -> float | None:
        return self.entered if self.entered is not None else self.first_seen


@dataclass(slots=True)
class _Evidence:
    """What is known of a plate with no open stay: when it was seen, and whether it charged."""

    first: float
    last: float
    validated: bool = False


@dataclass(slots=True)
class GateCounts:
    """Running counts of what happened at the gates (the twin's figures, a live site's status)."""

    entries: int = 0
    exits: int = 0
    refused: int = 0
    held: int = 0
    unreadable_entry: int = 0
    unreadable_exit: int = 0
    tailgates_entry: int = 0
    tailgates_exit: int = 0
    no_entry_record: int = 0


@dataclass(slots=True)
class GateController:
    site: str
    parking: Parking
    capacity: int | None = None  # cars the car park takes; None: entries are never refused
    registry: Registry | None = None  # who holds a permit (``parking.permits_park_free``)
    payment_up: bool = True
    counts: GateCounts = field(default_factory=GateCounts)
    _by_plate: dict[str, Stay] = field(default_factory=dict)
    _by_ticket: dict[str, Stay] = field(default_factory=dict)
    _evidence: dict[str, _Evidence] = field(default_factory=dict)
    _credits: dict[str, int] = field(default_factory=dict)  # gate -> openings no vehicle has used yet
    _held: dict[str, Stay] = field(default_factory=dict)
    _seq: int = 0
    _ticket_seq: int = 0
    inside: int = 0

    # --- the adapter's interface -------------------------------------------------------------------------

    def handle(self, event: Event) -> list[Event]:
        """Apply one event; returns the decisions it causes (barrier openings, holds, closed stays)."""
        if isinstance(event, VehicleAtGate):
            return self._entry(event) if event.direction == ENTRY else self._exit(event)
        if isinstance(event, VehiclePassed):
            return self._passed(event)
        if isinstance(event, PaymentMade):
            return self._payment(event)
        if isinstance(event, PaymentSystem):
            return self._payment_system(event)
        if isinstance(event, ChargingSession):
            self._charging(event)
        elif isinstance(event, PresenceSeen):
            self._seen(event.plate, event.ts, event.ts, False)
        return []

    def open_stays(self) -> list[Stay]:
        """Stays still in the car park (for a status page and the end of a run)."""
        stays = {id(s): s for s in list(self._by_plate.values()) + list(self._by_ticket.values())}
        return list(stays.values())

    def held_stays(self) -> list[Stay]:
        return list(self._held.values())

    # --- entry --------------------------------------------------------------------------------------------

    def _entry(self, event: VehicleAtGate) -> list[Event]:
        if self.capacity is not None and self.inside >= self.capacity:
            self.counts.refused += 1
            return [EntryRefused(event.ts, self.site, event.bay, "full")]
        out: list[Event] = []
        ticket = None
        if event.plate is None:  # unreadable, or a ticket-only gate: the driver takes a ticket
            self.counts.unreadable_entry += event.camera
            self._ticket_seq += 1
            ticket = f"T{self._ticket_seq:06d}"
            out.append(TicketIssued(event.ts, self.site, event.bay, ticket))
        elif event.plate in self._by_plate:
            out.append(self._left_unseen(self._by_plate[event.plate], event.ts))
        self._seq += 1
        stay = Stay(f"{self.site}-S{self._seq}", event.plate, ticket, event.ts, last_seen=event.ts)
        if event.plate is not None:
            self._evidence.pop(event.plate, None)  # what was seen before this entry belongs to an earlier stay
            self._by_plate[event.plate] = stay
        if ticket is not None:
            self._by_ticket[ticket] = stay
        self.counts.entries += 1
        self.inside += 1
        out.append(self._open(event.ts, event.bay, ENTRY, stay, "entry"))
        return out

    def _left_unseen(self, stay: Stay, now: float) -> StayClosed:
        """The plate of an open stay entered again: the car left without passing an exit (tailgated out, or a
        missed read). It is billed up to the last time it was seen, for review; never for the time unseen."""
        end = stay.last_seen if stay.last_seen is not None else stay.billed_from or now
        self._forget(stay)
        self.inside = max(0, self.inside - 1)
        return self._closed(now, stay, end, "no_exit" if stay.plate is not None else "unbillable", review=True)

    # --- exit ---------------------------------------------------------------------------------------------

    def _exit(self, event: VehicleAtGate) -> list[Event]:
        if event.plate is None and event.camera:
            self.counts.unreadable_exit += 1
        stay = self._find(event.plate, event.ticket) or self._find(event.keyed_plate, None)
        if stay is not None and stay.held is not None:
            return [ExitHeld(event.ts, self.site, event.bay, stay.stay_id, self._due(stay), stay.held)]
        if stay is None:
            stay = self._without_entry(event.plate or event.keyed_plate, event.ts)
        queued = event.queued_since
        stay.at_exit = queued if queued is not None and queued <= event.ts else event.ts
        stay.exit_gate = event.bay
        stay.permit = stay.permit or any(self._has_permit(p) for p in (stay.plate, event.plate, event.keyed_plate))
        self.counts.exits += 1
        return self._settle(stay, event.ts)

    def _without_entry(self, plate: str | None, now: float) -> Stay:
        """A car at the exit with no entry record: its stay starts at the earliest evidence of it, if any."""
        self.counts.no_entry_record += 1
        self._seq += 1
        stay = Stay(f"{self.site}-S{self._seq}", plate, None, None)
        evidence = self._evidence.pop(plate, None) if plate is not None else None
        if evidence is not None:
            stay.first_seen, stay.last_seen, stay.validated = evidence.first, evidence.last, evidence.validated
        if plate is not None:
            self._by_plate[plate] = stay
        self.inside += 1  # it is inside, whatever the count said
        return stay

    def _settle(self, stay: Stay, now: float) -> list[Event]:
        due = self._due(stay)
        if due <= _CENT:
            return self._let_out(stay, now, "paid" if stay.paid > 0 else "nothing_due")
        if self.payment_up:
            return self._hold(stay, now, "payment_due", due)
        if self.parking.on_payment_outage == "open_bill_later":
            return self._let_out(stay, now, "bill_later" if stay.plate is not None else "unbillable")
        return self._hold(stay, now, "payment_down", due)

    def _hold(self, stay: Stay, now: float, reason: str, due: float) -> list[Event]:
        if not stay.was_held:  # exits held, each once, however often it is held again
            self.counts.held += 1
        stay.held, stay.was_held = reason, True
        self._held[stay.stay_id] = stay
        return [ExitHeld(now, self.site, stay.exit_gate or "exit", stay.stay_id, due, reason)]

    def _let_out(self, stay: Stay, now: float, settlement: str) -> list[Event]:
        self._held.pop(stay.stay_id, None)
        self._forget(stay)
        if stay.plate is not None:
            self._evidence.pop(stay.plate, None)
        self.inside = max(0, self.inside - 1)
        end = stay.at_exit if stay.at_exit is not None else now
        reason = {"unbillable": "payment_down"}.get(settlement, settlement)
        if stay.billed_from is None and settlement == "nothing_due":
            reason = "no_record"
        closed = self._closed(now, stay, end, settlement, review=stay.entered is None)
        return [self._open(now, stay.exit_gate or "exit", EXIT, stay, reason), closed]

    def _due(self, stay: Stay) -> float:
        end = stay.at_exit if stay.at_exit is not None else stay.last_seen
        if end is None:
            return 0.0
        return round(max(0.0, self._price(stay, end).amount - stay.paid), 2)

    def _price(self, stay: Stay, end: float) -> Price:
        """The stay's price up to ``end``, from its entry or else its earliest evidence (nothing without either)."""
        start = stay.billed_from if stay.billed_from is not None else end
        charged = price(self.parking, (end - start) / 60.0, stay.validated, stay.entered is not None)
        if stay.permit and self.parking.permits_park_free:
            return Price(charged.minutes, charged.minutes, 0.0, 0.0, 0.0, False)
        return charged

    def _has_permit(self, plate: str | None) -> bool:
        vehicle = self.registry.vehicle(plate) if self.registry is not None and plate is not None else None
        return vehicle is not None and vehicle.permit

    # --- payments -----------------------------------------------------------------------------------------

    def _payment(self, event: PaymentMade) -> list[Event]:
        stay = self._find(event.plate, event.ticket)
        if stay is None:
            return []
        stay.paid = round(stay.paid + event.amount, 2)
        if stay.held is None:
            return []  # paid before reaching the exit
        stay.held = None
        return self._settle(stay, event.ts)

    def _payment_system(self, event: PaymentSystem) -> list[Event]:
        was_up, self.payment_up = self.payment_up, event.up
        if not event.up or was_up:
            return []
        out: list[Event] = []
        for stay in list(self._held.values()):
            if stay.held == "payment_down":  # it can pay now
                stay.held = None
                out += self._settle(stay, event.ts)
        return out

    # --- evidence and validation --------------------------------------------------------------------------

    def _charging(self, event: ChargingSession) -> None:
        rule = self.parking.validation
        qualifies = rule.enabled and event.minutes >= rule.min_session_min
        stay = self._find(event.plate, event.ticket)
        if stay is not None:
            stay.validated = stay.validated or qualifies
            stay.last_seen = max(stay.last_seen or event.started, event.started + event.minutes * 60.0)
            if stay.entered is None and (stay.first_seen is None or event.started < stay.first_seen):
                stay.first_seen = event.started
        elif event.plate is not None:
            self._seen(event.plate, event.started, event.started + event.minutes * 60.0, qualifies)

    def _seen(self, plate: str, first: float, last: float, validated: bool) -> None:
        stay = self._by_plate.get(plate)
        if stay is not None:
            if stay.at_exit is None:
                stay.last_seen = max(stay.last_seen or last, last)
            return
        known = self._evidence.get(plate)
        if known is None:
            self._evidence[plate] = _Evidence(first, last, validated)
        else:
            known.first, known.last = min(known.first, first), max(known.last, last)
            known.validated = known.validated or validated

    # --- loops --------------------------------------------------------------------------------------------

    def _passed(self, event: VehiclePassed) -> list[Event]:
        credit = self._credits.get(event.bay, 0)
        if credit > 0:
            self._credits[event.bay] = credit - 1
            return []
        if event.direction == ENTRY:
            self.counts.tailgates_entry += 1
            self.inside += 1
        else:
            self.counts.tailgates_exit += 1
            self.inside = max(0, self.inside - 1)
        return [TailgateDetected(event.ts, self.site, event.bay, event.direction)]

    # --- bookkeeping --------------------------------------------------------------------------------------

    def _open(self, now: float, gate: str, direction: str, stay: Stay, reason: str) -> BarrierOpened:
        self._credits[gate] = self._credits.get(gate, 0) + 1
        return BarrierOpened(now, self.site, gate, direction, stay.stay_id, reason)

    def _find(self, plate: str | None, ticket: str | None) -> Stay | None:
        if plate is not None and plate in self._by_plate:
            return self._by_plate[plate]
        if ticket is not None:
            return self._by_ticket.get(ticket)
        return None

    def _forget(self, stay: Stay) -> None:
        if stay.plate is not None and self._by_plate.get(stay.plate) is stay:
            del self._by_plate[stay.plate]
        if stay.ticket is not None and self._by_ticket.get(stay.ticket) is stay:
            del self._by_ticket[stay.ticket]

    def _closed(self, now: float, stay: Stay, end: float, settlement: str, review: bool) -> StayClosed:
        """The closed stay: its price over the billed interval, what was paid, and how the rest is settled
        (``bill_later`` and ``no_exit``: billed to the plate; ``unbillable``: lost)."""
        start = stay.billed_from if stay.billed_from is not None else end
        charged = self._price(stay, end)
        return StayClosed(now, self.site, stay.exit_gate or "exit", stay.stay_id, stay.plate, stay.ticket,
                          stay.entered, start, charged.minutes, charged.validated_minutes,
                          stay.validated, charged.amount, stay.paid, settlement, review)
