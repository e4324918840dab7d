"""Building blocks for rules-engine tests: timelines of one bay in minutes."""

from __future__ import annotations

from baytwin.core.events import (
    CAMERA,
    Event,
    SessionActive,
    SessionEnded,
    SessionFaulted,
    SessionStarted,
    SessionSuspended,
    VehicleArrived,
    VehicleIdentified,
    VehicleLeft,
)
from baytwin.core.registry import Registry
from baytwin.core.rules.engine import RulesEngine
from baytwin.core.rules.policy import Policy
from baytwin.core.site import SiteInfo

SITE = SiteInfo("site", "Europe/London")
T0 = 1_700_000_000.0  # a Tuesday, 22:13 UTC


def at(minutes: float) -> float:
    return T0 + minutes * 60.0


def arrive(m: float, bay: str = "b1", plate: str | None = "AB12CDE", confidence: float = 0.97,
           source: str = CAMERA) -> list[Event]:
    return [VehicleArrived(at(m), SITE.id, bay, source), VehicleIdentified(at(m), SITE.id, bay, plate, confidence, source)]


def leave(m: float, bay: str = "b1", source: str = CAMERA) -> list[Event]:
    return [VehicleLeft(at(m), SITE.id, bay, source)]


def charge(start: float, full: float | None, unplug: float | None, bay: str = "b1", sid: str = "s1",
           token: str | None = "tok-1", how_full: str = "suspended") -> list[Event]:
    """A session: plugged at ``start``, full at ``full`` (None: never), unplugged at ``unplug``."""
    events: list[Event] = [
        SessionStarted(at(start), SITE.id, bay, sid, 0.0, 0.0, token),
        SessionActive(at(start) + 1, SITE.id, bay, sid, 0.0, 32.0),
    ]
    if full is not None:
        if how_full == "suspended":
            events.append(SessionSuspended(at(full), SITE.id, bay, sid, 10.0, 0.0, "ev"))
        elif how_full == "zero_current":
            events.append(SessionActive(at(full), SITE.id, bay, sid, 10.0, 0.0))
        elif how_full == "fault":
            events.append(SessionFaulted(at(full), SITE.id, bay, sid, 5.0, 0.0, "GroundFailure"))
    if unplug is not None:
        events.append(SessionEnded(at(unplug), SITE.id, bay, sid, 10.0, 0.0))
    return events


def run(policy: Policy, events: list[Event], until_min: float = 24 * 60, registry: Registry | None = None,
        site: SiteInfo = SITE) -> list[Event]:
    """Feed events in time order and run the clock to ``until_min``; return every output."""
    engine = RulesEngine(policy, site, registry)
    out: list[Event] = []
    for event in sorted(events, key=lambda e: e.ts):
        out += engine.handle(event)
    out += engine.advance(at(until_min))
    return out


def kinds(outputs: list[Event], kind: str) -> list[Event]:
    return [o for o in outputs if o.kind == kind]


def opened(outputs: list[Event]) -> list[tuple[str, float]]:
    """(rule, minute opened) of every violation opened."""
    return [(o.rule, round((o.ts - T0) / 60.0, 3)) for o in outputs if o.kind == "violation_opened"]  # type: ignore[attr-defined]


def policy(**overrides: object) -> Policy:
    """The default policy with nested overrides given as dotted keys: policy(**{"rules.overstay.grace_min": 5})."""
    data: dict = {}
    for dotted, value in overrides.items():
        node = data
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return Policy.model_validate(data)
