"""Patrol enforcement against a known truth: nobody is fined who was not in the bay, nothing before its breach.

A patrol sees a bay only now and then; between rounds cars come and go and
plug in. The engine must never tie a charging session, an arrival time or a
breach to a car the patrol saw earlier unless it is provably the same car.
Hypothesis draws the bay's true history (cars of unique plates, EV and ICE,
compliant and overstaying) and a patrol of any rhythm; the property holds for
every violation the engine opens.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import example, given, settings
from hypothesis import strategies as st

from baytwin.core.events import (
    PATROL,
    ActionTaken,
    Event,
    SessionActive,
    SessionEnded,
    SessionStarted,
    SessionSuspended,
    VehicleArrived,
    VehicleIdentified,
    VehicleLeft,
    ViolationOpened,
)
from baytwin.core.rules.engine import RulesEngine, is_penalty

from .timeline import SITE, T0, at, policy

ALLOWANCE_MIN, GRACE_MIN = 10.0, 15.0
POLICY = policy(**{"rules.not_charging.arrival_allowance_min": ALLOWANCE_MIN, "rules.overstay.grace_min": GRACE_MIN,
                   "escalation.ladder": [{"count": 1, "action": "ticket", "amount": 70}],
                   "idle_fee.enabled": True})
EPS = 1e-6


@dataclass(frozen=True)
class Car:
    plate: str
    arrive: float  # minutes
    leave: float
    plug: float | None = None
    charging_ends: float | None = None  # full, or unplugged before it
    unplug: float | None = None
    full_by: str = "suspended"

    def present(self, minute: float) -> bool:
        return self.arrive - EPS <= minute <= self.leave + EPS

    def breach_begun(self, rule: str, minute: float) -> bool:
        """Whether ``rule`` truly applies to this car at ``minute``."""
        if rule == "overstay":
            return self.charging_ends is not None and minute >= self.charging_ends + GRACE_MIN - EPS
        if rule == "not_charging":
            due = self.arrive + ALLOWANCE_MIN
            return (self.plug is None or self.plug > due) and minute >= due - EPS
        return True


@st.composite
def bay_history(draw: st.DrawFn) -> list[Car]:
    cars: list[Car] = []
    t = draw(st.floats(0, 60))
    for n in range(draw(st.integers(1, 6))):
        plate = f"CAR{n:03d}"
        kind = draw(st.sampled_from(["ev", "ev", "ice", "ev_early_unplug"]))
        if kind == "ice":
            cars.append(Car(plate, t, t + draw(st.floats(1, 300))))
        else:
            plug = t + draw(st.floats(0, 5))
            full = plug + draw(st.floats(1, 300))
            unplug = (plug + draw(st.floats(1, 300))) if kind == "ev_early_unplug" else full + draw(st.floats(0, 90))
            leave = unplug + draw(st.floats(0, 60))
            cars.append(Car(plate, t, leave, plug, min(full, unplug), unplug, draw(st.sampled_from(["suspended", "zero_current"]))))
        t = cars[-1].leave + draw(st.floats(0.1, 120))
    return cars


def observed(cars: list[Car], interval: float, offset: float) -> list[Event]:
    """The charger's session events and the patrol's notes, as the twin's patrol makes them."""
    events: list[tuple[float, int, Event]] = []
    for n, car in enumerate(cars):
        if car.plug is None:
            continue
        sid = f"tx-{n}"
        events.append((car.plug, 0, SessionStarted(at(car.plug), SITE.id, "b1", sid, 0.0, 0.0, None)))
        events.append((car.plug, 1, SessionActive(at(car.plug), SITE.id, "b1", sid, 0.0, 32.0)))
        if car.charging_ends is not None and car.charging_ends < (car.unplug or 0):
            end = car.charging_ends
            events.append((end, 0, SessionSuspended(at(end), SITE.id, "b1", sid, 9.0, 0.0, "ev") if car.full_by == "suspended"
                           else SessionActive(at(end), SITE.id, "b1", sid, 9.0, 0.0)))
        events.append((car.unplug, 0, SessionEnded(at(car.unplug), SITE.id, "b1", sid, 9.0, 0.0)))  # type: ignore[arg-type]
    end = max(car.leave for car in cars) + 240
    noted: str | None = None
    walk = offset
    while walk <= end:
        here = next((car for car in cars if car.arrive <= walk < car.leave), None)
        if noted is not None and (here is None or here.plate != noted):
            events.append((walk, 0, VehicleLeft(at(walk), SITE.id, "b1", PATROL)))
            noted = None
        if here is not None:
            if noted is None:
                noted = here.plate
                events.append((walk, 1, VehicleArrived(at(walk), SITE.id, "b1", PATROL)))
            events.append((walk, 2, VehicleIdentified(at(walk), SITE.id, "b1", noted, 1.0, PATROL)))
        walk += interval
    return [event for _, _, event in sorted(events, key=lambda item: (item[0], item[1]))]


@settings(max_examples=400, deadline=None)
@given(bay_history(), st.floats(10, 120), st.floats(0, 1))
@example(  # two cars came and went unseen between rounds; the third charged briefly and stayed unplugged
    [Car("CAR000", 0.0, 1.0, 0.0, 1.0, 1.0), Car("CAR001", 2.0, 3.0, 2.0, 3.0, 3.0), Car("CAR002", 4.0, 21.0, 4.0, 6.0, 6.0)],
    10.0, 0.0,
)
def test_a_patrol_never_fines_a_car_that_was_not_there_or_before_its_breach(cars: list[Car], interval: float,
                                                                            phase: float) -> None:
    engine = RulesEngine(POLICY, SITE)
    out: list[Event] = []
    for event in observed(cars, interval, phase * interval):
        out += engine.handle(event)
    out += engine.advance(at(max(car.leave for car in cars) + 600))
    by_plate = {car.plate: car for car in cars}
    opened = {o.violation_id: o for o in out if isinstance(o, ViolationOpened)}
    for violation in opened.values():
        minute = (violation.ts - T0) / 60.0
        car = by_plate.get(violation.plate) if violation.plate else next((c for c in cars if c.present(minute)), None)
        assert car is not None, f"{violation.rule} at {minute:.2f} min with nobody in the bay"
        assert car.present(minute), f"{violation.rule} at {minute:.2f} min names {car.plate}, there {car.arrive:.2f}-{car.leave:.2f}"
        # a patrol cannot always tell an unseen charge from none: the rule named may be the other one, but the
        # car must be in breach of one of them when the violation opens
        assert car.breach_begun(violation.rule, minute) or (
            violation.rule in ("overstay", "not_charging") and car.breach_begun("overstay", minute) | car.breach_begun("not_charging", minute)
        ), f"{violation.rule} on {car.plate} at {minute:.2f} min, before any breach of it"
    for action in out:  # a penalty names the car of its violation (an idle fee may name it once identified)
        if isinstance(action, ActionTaken) and is_penalty(action):
            violation = opened[action.violation_id]
            car = by_plate.get(action.plate) if action.plate else None
            assert action.plate == violation.plate or (car is not None and car.present((violation.ts - T0) / 60.0))


def test_a_car_that_left_is_not_ticketed_when_the_next_car_plugs_in() -> None:
    """Patrol sees A; B plugs in unseen; the patrol then finds B; B unplugs and leaves; C plugs in."""
    p = policy(**{"rules.overstay.grace_min": 15, "escalation.ladder": [{"count": 1, "action": "ticket", "amount": 70}]})
    engine = RulesEngine(p, SITE)
    events = [VehicleArrived(at(0), SITE.id, "b1", PATROL), VehicleIdentified(at(0), SITE.id, "b1", "AAA111", 1.0, PATROL),
              SessionStarted(at(27), SITE.id, "b1", "x-1", 0, 0, None), SessionActive(at(27), SITE.id, "b1", "x-1", 0, 32.0),
              VehicleLeft(at(60), SITE.id, "b1", PATROL), VehicleArrived(at(60), SITE.id, "b1", PATROL),
              VehicleIdentified(at(60), SITE.id, "b1", "BBB222", 1.0, PATROL),
              SessionEnded(at(63), SITE.id, "b1", "x-1", 4.0, 0.0),
              SessionStarted(at(92), SITE.id, "b1", "x-2", 0, 0, None), SessionActive(at(92), SITE.id, "b1", "x-2", 0, 47.0)]
    out: list[Event] = []
    for event in events:
        out += engine.handle(event) + engine.advance(event.ts)
    out += engine.advance(at(600))
    assert [o for o in out if isinstance(o, (ViolationOpened, ActionTaken))] == []
    # B, found on the cable, is known to have been here since it plugged in
    assert engine.visit("b1") is not None and engine.visit("b1").plate is None
