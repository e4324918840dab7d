"""A barrier controller's or pay terminal's JSON message as a gate event.

What a gate reports is decided by what the gate is (its direction in the site file), not by the message, so a
misconfigured controller cannot open an exit by calling itself an entry. Every way a message can be wrong is a
:class:`PayloadProblem` with one printable line.

    {"event": "vehicle_at_gate", "plate": "AB12 CDE"}              entry or exit: a car at the barrier
    {"event": "vehicle_at_gate", "plate": null, "ticket": "T000012"}
    {"event": "vehicle_at_gate", "keyed_plate": "AB12CDE"}         typed at the exit terminal
    {"event": "vehicle_passed"}                                    the loop counted one car through
    {"event": "payment", "plate": "AB12CDE", "amount": 4.0}        (or "ticket")
    {"event": "payment_system", "up": false}
    {"event": "charging_session", "plate": "AB12CDE", "session_id": "tx-81", "started": 1717000000, "minutes": 95}
    {"event": "presence", "plate": "AB12CDE"}                      a plate seen on site
"""

from __future__ import annotations

import json
import math
from typing import Any

from baytwin.core.config import printable
from baytwin.core.events import Event
from baytwin.core.parking.events import (
    ChargingSession,
    PaymentMade,
    PaymentSystem,
    PresenceSeen,
    VehicleAtGate,
    VehiclePassed,
)
from baytwin.core.plates import sanitize
from baytwin.live.sensor_payload import MAX_PAYLOAD, PayloadProblem

#: The messages each kind of gate may send.
ALLOWED = {
    "entry": {"vehicle_at_gate", "vehicle_passed"},
    "exit": {"vehicle_at_gate", "vehicle_passed", "payment", "payment_system", "presence", "charging_session"},
    "terminal": {"payment", "payment_system", "charging_session", "presence"},
}


def gate_event(payload: bytes, site: str, gate: str, direction: str, now: float) -> Event:
    """The event ``payload`` reports at ``gate`` (of ``direction``), stamped ``now``; PayloadProblem otherwise."""
    if len(payload) > MAX_PAYLOAD:
        raise PayloadProblem(f"payload of {len(payload)} bytes, more than {MAX_PAYLOAD}")
    try:
        message = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadProblem("payload is not UTF-8 text") from None
    except ValueError:
        raise PayloadProblem("payload is not JSON") from None
    if not isinstance(message, dict):
        raise PayloadProblem("payload is not a JSON object")
    kind = message.get("event")
    if not isinstance(kind, str):
        raise PayloadProblem("payload has no \"event\" (text)")
    if kind not in ALLOWED[direction]:
        known = ", ".join(sorted(ALLOWED[direction]))
        raise PayloadProblem(f"event {printable(kind[:40])!r} is not one a {direction} sends ({known})")
    if kind == "vehicle_at_gate":
        plate, ticket, keyed = _plate(message, "plate"), _text(message, "ticket"), _plate(message, "keyed_plate")
        camera = message.get("camera", True)
        if not isinstance(camera, bool):
            raise PayloadProblem("field camera is not true or false")
        queued = None
        if message.get("queued_s") is not None:  # seconds the car has been queueing in the lane
            queued = now - _number(message, "queued_s")
        return VehicleAtGate(now, site, gate, direction, plate, ticket, keyed, camera, queued)
    if kind == "vehicle_passed":
        return VehiclePassed(now, site, gate, direction)
    if kind == "payment":
        plate, ticket = _plate(message, "plate"), _text(message, "ticket")
        if plate is None and ticket is None:
            raise PayloadProblem("a payment names a plate or a ticket")
        return PaymentMade(now, site, gate, plate, ticket, _number(message, "amount"))
    if kind == "payment_system":
        up = message.get("up")
        if not isinstance(up, bool):
            raise PayloadProblem("field up is not true or false")
        return PaymentSystem(now, site, gate, up)
    if kind == "presence":
        plate = _plate(message, "plate")
        if plate is None:
            raise PayloadProblem("a presence names a plate")
        return PresenceSeen(now, site, gate, plate)
    plate, ticket = _plate(message, "plate"), _text(message, "ticket")
    if plate is None and ticket is None:
        raise PayloadProblem("a charging session names a plate or a ticket")
    started = _number(message, "started")
    if started > now:
        raise PayloadProblem("a charging session cannot start in the future")
    return ChargingSession(now, site, gate, plate, ticket, _text(message, "session_id") or "", started,
                           _number(message, "minutes"))


def _text(message: dict[str, Any], field: str) -> str | None:
    value = message.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 64 or not value.isprintable():
        raise PayloadProblem(f"field {field} is not a short line of text")
    return value.strip()


def _plate(message: dict[str, Any], field: str) -> str | None:
    value = _text(message, field)
    if value is None:
        return None
    plate = sanitize(value)
    if not plate:
        raise PayloadProblem(f"field {field} holds no letters or digits")
    return plate


def _number(message: dict[str, Any], field: str) -> float:
    value = message.get(field)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise PayloadProblem(f"field {field} is not a number >= 0")
    return float(value)
