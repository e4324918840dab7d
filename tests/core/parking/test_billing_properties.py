"""Properties of billing over random car parks: no one is billed for a minute outside their true stay, and
no charging customer who qualifies for validation pays for the validated part, whatever fails at the gates."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from baytwin.core.events import Event
from baytwin.core.parking.controller import GateController
from baytwin.core.parking.events import (
    ENTRY,
    EXIT,
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
from baytwin.core.parking.tariff import tariff_amount

T0 = 1_700_000_000.0


@dataclass
class Car:
    plate: str
    entry: float  # minutes
    stay: float
    read_in: bool
    read_out: bool
    tailgates: bool
    seen_at: float | None  # share of the stay at which a bay camera saw it, if it did
    charge: tuple[float, float] | None  # (start share, length share) of the stay


cars = st.lists(st.builds(
    Car,
    plate=st.just(""),
    entry=st.floats(0, 2000),
    stay=st.floats(0.5, 900),
    read_in=st.booleans(),
    read_out=st.booleans(),
    tailgates=st.booleans(),
    seen_at=st.none() | st.floats(0, 1),
    charge=st.none() | st.tuples(st.floats(0, 0.9), st.floats(0.05, 0.1)),
), min_size=1, max_size=12)

policies = st.builds(
    lambda basis, rate, free, mode, v_free, outage, cap: Parking.model_validate({
        "tariff": {"basis": basis, "rate": rate, "free_min": free, "cap": cap},
        "validation": {"mode": mode, "free_min": v_free}, "on_payment_outage": outage}),
    st.sampled_from(["per_started_hour", "per_minute"]), st.floats(0.01, 5), st.floats(0, 60),
    st.sampled_from(["free_minutes", "whole_stay"]), st.floats(0, 300), st.sampled_from(["open_bill_later", "hold"]),
    st.none() | st.floats(1, 50))


def _run(parking: Parking, fleet: list[Car], outage: tuple[float, float] | None) -> dict[str, tuple[Car, StayClosed]]:
    """Feed the car park's events in time order; pay what is asked at once. Returns each plate's closed stay."""
    c = GateController("site", parking)
    timeline: list[tuple[float, int, int, str]] = []  # minute, order, car index, what
    for i, car in enumerate(fleet):
        car.plate = f"CAR{i:03d}"
        timeline.append((car.entry, 0, i, "enter"))
        if car.seen_at is not None:
            timeline.append((car.entry + car.seen_at * car.stay, 1, i, "seen"))
        if car.charge is not None:
            timeline.append((car.entry + (car.charge[0] + car.charge[1]) * car.stay, 1, i, "charged"))
        timeline.append((car.entry + car.stay, 2, i, "exit"))
    if outage is not None:
        timeline.append((outage[0], 1, -1, "down"))
        timeline.append((outage[1], 1, -1, "up"))
    timeline.sort()
    tickets: dict[int, str] = {}
    closed: dict[str, tuple[Car, StayClosed]] = {}
    first_entry_of = {}  # the car whose opening a tailgater follows

    def settle(decisions: list[Event], at: float) -> None:
        for d in decisions:
            if isinstance(d, StayClosed):
                car = next(x for x in fleet if d.plate == x.plate or (d.ticket and tickets.get(fleet.index(x)) == d.ticket))
                closed[car.plate] = (car, d)
            elif isinstance(d, ExitHeld) and d.reason == "payment_due":
                held = next(s for s in c.held_stays() if s.stay_id == d.stay_id)
                settle(c.handle(PaymentMade(at, "site", "out", held.plate, held.ticket, d.amount)), at)

    for minute, _, i, what in timeline:
        ts = T0 + minute * 60.0
        if what in ("down", "up"):
            settle(c.handle(PaymentSystem(ts, "site", "pay", up=what == "up")), ts)
            continue
        car = fleet[i]
        if what == "enter":
            if not car.tailgates or not first_entry_of:
                out = c.handle(VehicleAtGate(ts, "site", "in", ENTRY, car.plate if car.read_in else None))
                tickets.update({i: d.ticket for d in out if isinstance(d, TicketIssued)})
                first_entry_of[i] = True
            c.handle(VehiclePassed(ts, "site", "in", ENTRY))
        elif what == "seen":
            c.handle(PresenceSeen(ts, "site", "B1", car.plate))
        elif what == "charged":
            start = T0 + (car.entry + car.charge[0] * car.stay) * 60.0  # type: ignore[index]
            c.handle(ChargingSession(ts, "site", "B1", car.plate if i not in tickets else None, tickets.get(i),
                                     f"s{i}", start, (ts - start) / 60.0))
        else:
            plate = car.plate if car.read_out else None
            ticket = tickets.get(i)
            keyed = car.plate if plate is None and ticket is None else None
            settle(c.handle(VehicleAtGate(ts, "site", "out", EXIT, plate, ticket, keyed)), ts)
    return closed


@settings(max_examples=150, deadline=None)
@given(policies, cars, st.none() | st.tuples(st.floats(0, 1500), st.floats(10, 600)))
def test_no_one_is_billed_outside_their_stay_and_validated_minutes_are_never_paid_for(
        parking: Parking, fleet: list[Car], outage: tuple[float, float] | None) -> None:
    window = None if outage is None else (outage[0], outage[0] + outage[1])
    closed = _run(parking, fleet, window)
    tariff, rule = parking.tariff, parking.validation
    for car, stay in closed.values():
        entry, leave = T0 + car.entry * 60.0, T0 + (car.entry + car.stay) * 60.0
        assert stay.billed_from >= entry - 1e-6, (car, stay)
        assert stay.billed_from + stay.minutes * 60.0 <= leave + 1e-6, (car, stay)
        free = min(car.stay, tariff.free_min)
        if stay.validated:
            assert car.charge is not None  # validation only ever comes from a charging session
            validated = car.stay - free if rule.mode == "whole_stay" else min(car.stay - free, rule.free_min)
            assert stay.amount <= tariff_amount(tariff, car.stay - free - validated) + 1e-9, (car, stay)
        else:
            assert stay.amount <= tariff_amount(tariff, car.stay - free) + 1e-9, (car, stay)
        assert stay.paid <= stay.amount + 1e-9


@settings(max_examples=60, deadline=None)
@given(policies, cars)
def test_a_charging_customer_identified_at_both_gates_gets_the_whole_validation(parking: Parking, fleet: list[Car]) -> None:
    for car in fleet:
        car.read_in, car.tailgates = True, False
    closed = _run(parking, fleet, None)
    rule, tariff = parking.validation, parking.tariff
    for car, stay in closed.values():
        if car.charge is None:
            continue
        assert stay.validated
        free = min(stay.minutes, tariff.free_min)
        validated = stay.minutes - free if rule.mode == "whole_stay" else min(stay.minutes - free, rule.free_min)
        assert stay.amount == tariff_amount(tariff, stay.minutes - free - validated)
