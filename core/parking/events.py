"""The events of barriers and payment: what gates, loops and terminals report, and what the controller decides.

They share the header of every baytwin event (``ts``, ``site``, and ``bay``, which here names the gate or
terminal), so they print, compare and serialise like the rest of the vocabulary. They are not rules-engine
input: the rules judge bays, the gate controller judges stays in the car park.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from baytwin.core.events import Event

ENTRY = "entry"
EXIT = "exit"


# --- what the site reports ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VehicleAtGate(Event):
    """A vehicle stopped at a gate. ``plate``: the gate camera's accepted read (None: unreadable, or no camera);
    ``ticket``: the ticket the driver inserted at an exit; ``keyed_plate``: a plate the driver typed at the
    exit terminal when neither could identify the car. ``camera``: the gate has a camera that tried to read
    (False at a ticket-only gate, where no plate is not a failed read). ``queued_since``: when the car joined
    the exit queue, if the lane knows (a camera or loop on the approach): its price is fixed then, so a queue
    (behind a car held in a payment outage, say) is never charged."""

    kind: ClassVar[str] = "vehicle_at_gate"
    direction: str = ENTRY
    plate: str | None = None
    ticket: str | None = None
    keyed_plate: str | None = None
    camera: bool = True
    queued_since: float | None = None


@dataclass(frozen=True, slots=True)
class VehiclePassed(Event):
    """The gate's loop sensor counted one vehicle through. More passes than openings is a tailgate."""

    kind: ClassVar[str] = "vehicle_passed"
    direction: str = ENTRY


@dataclass(frozen=True, slots=True)
class PaymentMade(Event):
    """A terminal took a payment for the stay named by ``plate`` or ``ticket``."""

    kind: ClassVar[str] = "payment_made"
    plate: str | None = None
    ticket: str | None = None
    amount: float = 0.0


@dataclass(frozen=True, slots=True)
class PaymentSystem(Event):
    """The payment system went down (``up=False``) or came back."""

    kind: ClassVar[str] = "payment_system"
    up: bool = True


@dataclass(frozen=True, slots=True)
class ChargingSession(Event):
    """A charging session at the site, for validation: the car it charged by ``plate`` (read in the bay, or the
    charging account's registered plate) or the ``ticket`` the driver validated with; ``minutes`` it lasted."""

    kind: ClassVar[str] = "charging_session"
    plate: str | None = None
    ticket: str | None = None
    session_id: str = ""
    started: float = 0.0
    minutes: float = 0.0


@dataclass(frozen=True, slots=True)
class PresenceSeen(Event):
    """A plate seen on site (a bay camera, a patrol): evidence that a car with no entry record was inside at ``ts``."""

    kind: ClassVar[str] = "presence_seen"
    plate: str = ""


# --- what the controller decides ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BarrierOpened(Event):
    """Open the barrier, once, for the stay ``stay_id``. ``reason``: entry, nothing_due, paid, bill_later,
    no_record (a car with no entry and no evidence: never trapped)."""

    kind: ClassVar[str] = "barrier_opened"
    direction: str = ENTRY
    stay_id: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ExitHeld(Event):
    """The barrier stays shut: ``amount`` is due (``reason`` payment_due), or the payment system is down and the
    policy holds (``payment_down``). A payment, or the system's return, opens it."""

    kind: ClassVar[str] = "exit_held"
    stay_id: str = ""
    amount: float = 0.0
    reason: str = "payment_due"


@dataclass(frozen=True, slots=True)
class EntryRefused(Event):
    """The barrier stays shut at an entry. Only a full car park refuses (``reason`` full): an unreadable plate
    gets a ticket and a plate already inside gets a new stay, never a closed barrier."""

    kind: ClassVar[str] = "entry_refused"
    reason: str = "full"


@dataclass(frozen=True, slots=True)
class TicketIssued(Event):
    """The entry camera could not read the plate: the driver took ticket ``ticket`` instead."""

    kind: ClassVar[str] = "ticket_issued"
    ticket: str = ""


@dataclass(frozen=True, slots=True)
class TailgateDetected(Event):
    """The loop counted a vehicle through without an opening of its own."""

    kind: ClassVar[str] = "tailgate_detected"
    direction: str = ENTRY


@dataclass(frozen=True, slots=True)
class StayClosed(Event):
    """A stay left the car park: what it was billed and why.

    ``billed_from`` is the entry if it was recorded, else the earliest evidence of the car on site, else the exit
    (nothing billed); ``settlement`` is paid, nothing_due, bill_later, unbillable (no plate to bill later) or
    no_exit (the plate entered again with this stay open: it left unseen, billed up to its last evidence). ``review``: billed on anything but an entry record, for a person to check."""

    kind: ClassVar[str] = "stay_closed"
    stay_id: str = ""
    plate: str | None = None
    ticket: str | None = None
    entered: float | None = None
    billed_from: float = 0.0
    minutes: float = 0.0
    validated_minutes: float = 0.0
    validated: bool = False
    amount: float = 0.0
    paid: float = 0.0
    settlement: str = "paid"
    review: bool = False
