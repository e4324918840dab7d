"""The one event vocabulary of baytwin.

Everything that is written, replayed or shown is made of these events: the
simulation and the live site produce the *input* events (vehicles, charging
sessions, plate reads), the rules engine answers with *output* events
(violations and actions). Each carries a timestamp taken from an injected
clock (seconds since the Unix epoch, UTC) and the site and bay it concerns.

Events are frozen, slotted dataclasses: cheap to create in the hot path of a
site-year simulation, hashable (so duplicates can be recognised), and
comparable by value (so two runs with one seed can be compared event by event).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

# Where a fact about a vehicle came from. Presence sources differ in what they
# prove: a camera or bay sensor watches continuously (it will also see the car
# leave), a charger proves presence while its cable is plugged in, a patrol
# only proves presence at the moment it passes.
CAMERA = "camera"
SENSOR = "sensor"
CHARGER = "charger"
PATROL = "patrol"
PERMIT = "permit"
RFID = "rfid"
TRUTH = "truth"

CONTINUOUS_SOURCES = frozenset({CAMERA, SENSOR, TRUTH})


@dataclass(frozen=True, slots=True)
class Event:
    """Common header: when, where."""

    kind: ClassVar[str] = "event"
    ts: float
    site: str
    bay: str

    def to_row(self) -> dict[str, Any]:
        """A flat dict for tables; nested evidence is reduced to its kinds and times."""
        row: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "evidence":
                value = [(e.kind, e.ts) for e in value]
            row[f.name] = value
        return row


# --- vehicles -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VehicleArrived(Event):
    """A vehicle was first seen in the bay."""

    kind: ClassVar[str] = "vehicle_arrived"
    source: str = CAMERA


@dataclass(frozen=True, slots=True)
class VehicleIdentified(Event):
    """The vehicle in the bay was identified (or seen again by a patrol).

    ``plate`` is the normalized plate as read, ``None`` for a no-read;
    ``confidence`` is the identification's own confidence in [0, 1].
    """

    kind: ClassVar[str] = "vehicle_identified"
    plate: str | None = None
    confidence: float = 0.0
    source: str = CAMERA


@dataclass(frozen=True, slots=True)
class VehicleLeft(Event):
    """The bay was seen empty after a vehicle had been in it."""

    kind: ClassVar[str] = "vehicle_left"
    source: str = CAMERA


@dataclass(frozen=True, slots=True)
class BayUnobserved(Event):
    """Nothing that reports departures watches the bay any more (its camera went down or its
    stream ended, its sensor fell silent). What happens there from now on is unknown, so no
    one may be charged for it: the rules end the visit there, and a car still in the bay when
    the camera comes back starts a new one."""

    kind: ClassVar[str] = "bay_unobserved"
    source: str = CAMERA
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ChargerUnavailable(Event):
    """The bay's charger cannot charge (offline, faulted, inoperative): a driver who does not
    charge there is not to blame, so not-charging rules wait until it is back."""

    kind: ClassVar[str] = "charger_unavailable"
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ChargerAvailable(Event):
    """The bay's charger can charge again; a driver gets the arrival allowance from now to plug in."""

    kind: ClassVar[str] = "charger_available"


@dataclass(frozen=True, slots=True)
class PlateRead(Event):
    """One OCR result, before it becomes an identification."""

    kind: ClassVar[str] = "plate_read"
    plate: str | None = None
    confidence: float = 0.0
    status: str = "accepted"  # accepted | review | unreadable
    # which model read it ("general_reader_int8.onnx#38a66048acb86ba8": file and SHA-256 prefix), so a disputed
    # read can be traced to its reader; empty where no model on record read (the twin's error model)
    reader: str = ""


# --- charging sessions ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionEvent(Event):
    """Common fields of every charging-session event."""

    kind: ClassVar[str] = "session"
    session_id: str = ""
    energy_kwh: float = 0.0
    current_a: float = 0.0


@dataclass(frozen=True, slots=True)
class SessionStarted(SessionEvent):
    """Cable plugged in and the session authorized (an OCPP transaction began)."""

    kind: ClassVar[str] = "session_started"
    id_token: str | None = None


@dataclass(frozen=True, slots=True)
class SessionActive(SessionEvent):
    """The charger reports the session as charging.

    A report with ``current_a == 0`` is a charger that still says "charging"
    while nothing flows: policies may count that as ended after N minutes.
    """

    kind: ClassVar[str] = "session_active"


@dataclass(frozen=True, slots=True)
class SessionSuspended(SessionEvent):
    """Charging paused: ``by="ev"`` (battery full, car stopped) or ``by="evse"`` (charger/load management)."""

    kind: ClassVar[str] = "session_suspended"
    by: str = "ev"


@dataclass(frozen=True, slots=True)
class SessionEnded(SessionEvent):
    """The transaction stopped (usually the cable was unplugged)."""

    kind: ClassVar[str] = "session_ended"
    reason: str = "ev_disconnected"


@dataclass(frozen=True, slots=True)
class SessionFaulted(SessionEvent):
    """The charger faulted during the session."""

    kind: ClassVar[str] = "session_faulted"
    fault: str = "other"


# --- rules engine output --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ViolationOpened(Event):
    """A rule found the visit in breach. ``evidence`` holds the events that decided it."""

    kind: ClassVar[str] = "violation_opened"
    violation_id: str = ""
    rule: str = ""
    plate: str | None = None
    plate_confidence: float = 0.0
    id_token: str | None = None
    since: float = 0.0  # when the breach began (e.g. the end of the grace period)
    evidence: tuple[Event, ...] = field(default=(), compare=True)


@dataclass(frozen=True, slots=True)
class ViolationClosed(Event):
    """The breach ended (vehicle left, session started, charging resumed)."""

    kind: ClassVar[str] = "violation_closed"
    violation_id: str = ""
    rule: str = ""
    reason: str = ""
    minutes: float = 0.0


@dataclass(frozen=True, slots=True)
class ActionTaken(Event):
    """An enforcement action: warning, idle_fee, ticket, restrict, ban or review."""

    kind: ClassVar[str] = "action_taken"
    violation_id: str = ""
    action: str = ""
    plate: str | None = None
    id_token: str | None = None
    amount: float = 0.0
    until: float | None = None


# --- people's decisions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReviewResolved(Event):
    """An operator settled a marginal plate read (the review queue).

    ``read_seq`` is the chain position of the ``plate_read`` it settles; ``plate``
    is the plate the operator confirmed or typed, None when the read was rejected
    (no plate can be read from the crop). ``reviewer`` names who decided, for the
    audit trail.
    """

    kind: ClassVar[str] = "review_resolved"
    read_seq: int = 0
    decision: str = "confirmed"  # confirmed | corrected | rejected
    plate: str | None = None
    reviewer: str = ""


@dataclass(frozen=True, slots=True)
class OperatorCommand(Event):
    """An operator asked a charger to do something (remote start or stop, availability, unlock, reset, trigger).

    Recorded before anything is sent, by whoever asked (``baytwin csms command``, the live page), so the
    audit trail names the person behind every command even if it never reached the charger. The running
    central system picks it up from the store and answers with a ``command_answered`` naming this row's
    chain position. ``expires_at``: after it the command is not sent (the operator stopped waiting), only
    answered ``expired``. ``bay`` is the EVSE's bay where the asker knows it, else ``*``.
    """

    kind: ClassVar[str] = "operator_command"
    station: str = ""
    action: str = ""  # remote-start | remote-stop | unlock | availability | reset | trigger
    evse: int | None = None
    id_token: str | None = None
    transaction_id: str | None = None
    operative: bool | None = None
    message: str | None = None  # reset type, or the message a trigger asks for
    operator: str = ""
    expires_at: float = 0.0


@dataclass(frozen=True, slots=True)
class CommandAnswered(Event):
    """What came of an operator's command: the charger's answer (Accepted, Rejected …) or why there was none
    (``not connected``, ``timeout``, ``expired``, ``error``). ``command_seq`` is the command's chain position."""

    kind: ClassVar[str] = "command_answered"
    command_seq: int = 0
    station: str = ""
    action: str = ""
    status: str = ""
    detail: str = ""


# --- the store's own record -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetentionPurged(Event):
    """Personal data of one class, older than ``before``, was erased at the end of its retention."""

    kind: ClassVar[str] = "retention_purged"
    data_class: str = ""
    before: float = 0.0
    rows: int = 0


INPUT_EVENTS: tuple[type[Event], ...] = (
    VehicleArrived,
    VehicleIdentified,
    VehicleLeft,
    PlateRead,
    SessionStarted,
    SessionActive,
    SessionSuspended,
    SessionEnded,
    SessionFaulted,
    ChargerUnavailable,
    ChargerAvailable,
    BayUnobserved,
)
OUTPUT_EVENTS: tuple[type[Event], ...] = (ViolationOpened, ViolationClosed, ActionTaken)
RECORD_EVENTS: tuple[type[Event], ...] = (ReviewResolved, OperatorCommand, CommandAnswered, RetentionPurged)
EVENT_TYPES: dict[str, type[Event]] = {cls.kind: cls for cls in INPUT_EVENTS + OUTPUT_EVENTS + RECORD_EVENTS}


def _faster_frozen_init(cls: type[Event]) -> None:
    """Give ``cls`` an ``__init__`` that sets each slot through its own descriptor.

    A frozen dataclass's generated ``__init__`` sets every field with ``object.__setattr__(self,
    name, value)``, which looks the name up again for each field; events are made by the hundred
    thousand in a site-year, and that was half the cost of making one. Setting the slot descriptors
    directly does the same (same parameters and defaults; the instance stays frozen) in half the time.
    """
    if "__post_init__" in vars(cls) or not hasattr(cls, "__slots__") or any(
            f.default_factory is not MISSING or f.kw_only or not f.init for f in fields(cls)):
        return  # nothing like that among the events; a type that ever needs it keeps the generated one
    generated = cls.__init__
    names = [f.name for f in fields(cls)]
    setters = {f"_set_{name}": getattr(cls, name).__set__ for name in names}
    body = "".join(f"    _set_{name}(self, {name})\n" for name in names) or "    pass\n"
    source = f"def __init__(self, {', '.join(names)}):\n{body}"
    namespace: dict[str, Any] = dict(setters)
    exec(source, namespace)  # noqa: S102  # built from the class's own field names only
    init = namespace["__init__"]
    init.__defaults__ = generated.__defaults__
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = generated.__doc__
    cls.__init__ = init  # type: ignore[method-assign]


for _cls in EVENT_TYPES.values():
    _faster_frozen_init(_cls)

# Canonical order of different kinds that carry the same timestamp: arrivals
# before identifications before session changes before departures, so a batch
# of simultaneous events means the same thing whatever order it came in.
KIND_RANK: dict[str, int] = {cls.kind: rank for rank, cls in enumerate(INPUT_EVENTS)}
KIND_RANK[VehicleLeft.kind] = len(INPUT_EVENTS)  # a departure is always last
KIND_RANK[BayUnobserved.kind] = len(INPUT_EVENTS) + 1  # and losing sight of the bay after everything seen


def sort_key(event: Event) -> tuple[float, int, str]:
    """Total order used when a batch of events must be replayed in time order."""
    return (event.ts, KIND_RANK.get(event.kind, 99), repr(event))


def event_as_dict(event: Event) -> dict[str, Any]:
    """JSON-ready dict (evidence expanded in full), for the store, evidence files and logs.

    Written out rather than ``dataclasses.asdict``: that deep-copies every value and is the
    slowest step of appending to the event log.
    """
    data: dict[str, Any] = {"kind": event.kind}
    for name in _FIELD_NAMES.get(type(event)) or _field_names(type(event)):
        value = getattr(event, name)
        data[name] = [event_as_dict(e) for e in value] if name == "evidence" else value
    return data


def event_from_dict(data: dict[str, Any]) -> Event:
    """The inverse of :func:`event_as_dict`, for replaying a stored log.

    A personal field whose value was erased at the end of its retention
    (stored as ``"<personal>"``) comes back as None.
    """
    cls = EVENT_TYPES[data["kind"]]
    values: dict[str, Any] = {}
    for name in _FIELD_NAMES.get(cls) or _field_names(cls):
        if name not in data:
            continue
        value = data[name]
        if name == "evidence":
            value = tuple(event_from_dict(e) for e in value)
        elif value == "<personal>":
            value = None
        values[name] = value
    return cls(**values)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = tuple(f.name for f in fields(cls))
    _FIELD_NAMES[cls] = names
    return names
