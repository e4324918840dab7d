"""The gate controller's decisions: entries, paid and free exits, validation, and each failure mode."""

from __future__ import annotations

from typing import Any

from baytwin.core.events import Event
from baytwin.core.parking.controller import GateController
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
from baytwin.core.registry import RegisteredVehicle, Registry

T0 = 1_700_000_000.0
MIN = 60.0


def _parking(**fields: Any) -> Parking:
    base: dict[str, Any] = {"tariff": {"basis": "per_started_hour", "rate": 2.0, "free_min": 15},
                            "validation": {"mode": "free_minutes", "free_min": 120}}
    base.update(fields)
    return Parking.model_validate(base)


def _controller(**fields: Any) -> GateController:
    return GateController("site", _parking(**fields))


def _enter(c: GateController, at_min: float, plate: str | None) -> list[Event]:
    out = c.handle(VehicleAtGate(T0 + at_min * MIN, "site", "in", ENTRY, plate))
    return out + c.handle(VehiclePassed(T0 + at_min * MIN, "site", "in", ENTRY))


def _exit(c: GateController, at_min: float, plate: str | None, ticket: str | None = None,
          keyed: str | None = None) -> list[Event]:
    return c.handle(VehicleAtGate(T0 + at_min * MIN, "site", "out", EXIT, plate, ticket, keyed))


def _one(events: list[Event], kind: type) -> Any:
    found = [e for e in events if isinstance(e, kind)]
    assert len(found) == 1, events
    return found[0]


def test_an_entry_opens_and_a_stay_inside_the_free_minutes_leaves_without_paying() -> None:
    c = _controller()
    assert _one(_enter(c, 0, "AB12CDE"), BarrierOpened).reason == "entry"
    out = _exit(c, 14, "AB12CDE")
    assert _one(out, BarrierOpened).reason == "nothing_due"
    closed = _one(out, StayClosed)
    assert (closed.amount, closed.settlement, closed.review) == (0.0, "nothing_due", False)


def test_a_paying_stay_is_held_until_paid_then_opened_at_the_price_fixed_on_reaching_the_exit() -> None:
    c = _controller()
    _enter(c, 0, "AB12CDE")
    held = _one(_exit(c, 80, "AB12CDE"), ExitHeld)  # 80 - 15 free = 65 min: two started hours
    assert (held.amount, held.reason) == (4.0, "payment_due")
    out = c.handle(PaymentMade(T0 + 200 * MIN, "site", "out", "AB12CDE", None, 4.0))  # slow to pay: same price
    assert _one(out, BarrierOpened).reason == "paid"
    assert _one(out, StayClosed).paid == 4.0


def test_a_short_payment_keeps_the_barrier_shut() -> None:
    c = _controller()
    _enter(c, 0, "AB12CDE")
    _exit(c, 80, "AB12CDE")
    assert _one(c.handle(PaymentMade(T0 + 81 * MIN, "site", "out", "AB12CDE", None, 1.0)), ExitHeld).amount == 3.0


def test_a_charging_customer_gets_the_validated_minutes_free() -> None:
    c = _controller()
    _enter(c, 0, "EV11AAA")
    c.handle(ChargingSession(T0 + 100 * MIN, "site", "B1", "EV11AAA", None, "s1", T0 + 5 * MIN, 90.0))
    held = _one(_exit(c, 200, "EV11AAA"), ExitHeld)  # 200 - 15 free - 120 validated = 65 min
    assert held.amount == 4.0
    c2 = _controller(validation={"mode": "whole_stay"})
    _enter(c2, 0, "EV11AAA")
    c2.handle(ChargingSession(T0 + 100 * MIN, "site", "B1", "EV11AAA", None, "s1", T0 + 5 * MIN, 90.0))
    closed = _one(_exit(c2, 600, "EV11AAA"), StayClosed)
    assert (closed.amount, closed.validated) == (0.0, True)


def test_a_session_shorter_than_the_minimum_does_not_validate() -> None:
    c = _controller(validation={"mode": "whole_stay", "min_session_min": 30})
    _enter(c, 0, "EV11AAA")
    c.handle(ChargingSession(T0 + 20 * MIN, "site", "B1", "EV11AAA", None, "s1", T0 + 5 * MIN, 10.0))
    assert _one(_exit(c, 200, "EV11AAA"), ExitHeld).amount > 0


def test_extending_the_maximum_stay_spares_a_charging_customer_the_over_stay_fee() -> None:
    c = _controller(max_stay_min=180, over_max_stay_fee=50, validation={"mode": "extend_max_stay", "extend_min": 60})
    _enter(c, 0, "EV11AAA")
    _enter(c, 0, "IC22BBB")
    c.handle(ChargingSession(T0 + 60 * MIN, "site", "B1", "EV11AAA", None, "s1", T0 + 5 * MIN, 60.0))
    assert _one(_exit(c, 200, "EV11AAA"), ExitHeld).amount == 8.0  # 185 min: 4 started hours, no fee
    assert _one(_exit(c, 200, "IC22BBB"), ExitHeld).amount == 58.0


def test_an_unreadable_plate_at_the_entry_gets_a_ticket_that_finds_the_stay_at_the_exit() -> None:
    c = _controller()
    out = _enter(c, 0, None)
    ticket = _one(out, TicketIssued).ticket
    assert c.counts.unreadable_entry == 1
    held = _one(_exit(c, 70, "AB12CDE", ticket=ticket), ExitHeld)  # the exit reads a plate the stay never had
    assert held.amount == 2.0
    assert _one(c.handle(PaymentMade(T0 + 71 * MIN, "site", "out", None, ticket, 2.0)), StayClosed).ticket == ticket


def test_an_unreadable_plate_at_the_exit_is_found_by_the_plate_typed_at_the_terminal() -> None:
    c = _controller()
    _enter(c, 0, "AB12CDE")
    held = _one(_exit(c, 70, None, keyed="AB12CDE"), ExitHeld)
    assert held.amount == 2.0 and c.counts.unreadable_exit == 1


def test_a_ticket_only_gate_issues_tickets_and_counts_no_unreadable_plates() -> None:
    c = _controller()
    ticket = _one(c.handle(VehicleAtGate(T0, "site", "in", ENTRY, None, camera=False)), TicketIssued).ticket
    assert c.counts.unreadable_entry == 0
    held = _one(c.handle(VehicleAtGate(T0 + 70 * MIN, "site", "out", EXIT, None, ticket, camera=False)), ExitHeld)
    assert held.amount == 2.0 and c.counts.unreadable_exit == 0


def test_payment_down_with_open_bill_later_opens_and_bills_the_plate() -> None:
    c = _controller(on_payment_outage="open_bill_later")
    _enter(c, 0, "AB12CDE")
    c.handle(PaymentSystem(T0 + 10 * MIN, "site", "pay", up=False))
    out = _exit(c, 80, "AB12CDE")
    assert _one(out, BarrierOpened).reason == "bill_later"
    closed = _one(out, StayClosed)
    assert (closed.amount, closed.paid, closed.settlement) == (4.0, 0.0, "bill_later")


def test_payment_down_with_open_bill_later_lets_a_ticket_without_a_plate_out_as_unbillable() -> None:
    c = _controller(on_payment_outage="open_bill_later")
    ticket = _one(_enter(c, 0, None), TicketIssued).ticket
    c.handle(PaymentSystem(T0 + 10 * MIN, "site", "pay", up=False))
    out = _exit(c, 80, None, ticket=ticket)
    assert _one(out, BarrierOpened).reason == "payment_down"
    assert _one(out, StayClosed).settlement == "unbillable"


def test_payment_down_with_hold_keeps_the_car_until_payment_is_back_at_the_same_price() -> None:
    c = _controller(on_payment_outage="hold")
    _enter(c, 0, "AB12CDE")
    c.handle(PaymentSystem(T0 + 10 * MIN, "site", "pay", up=False))
    assert _one(_exit(c, 80, "AB12CDE"), ExitHeld).reason == "payment_down"
    back = c.handle(PaymentSystem(T0 + 300 * MIN, "site", "pay", up=True))
    held = _one(back, ExitHeld)
    assert (held.reason, held.amount) == ("payment_due", 4.0)  # the wait is not charged
    assert _one(c.handle(PaymentMade(T0 + 301 * MIN, "site", "out", "AB12CDE", None, 4.0)), BarrierOpened)
    assert c.counts.held == 1  # one exit held, twice


def test_a_tailgater_is_detected_and_billed_only_from_the_earliest_evidence_for_review() -> None:
    c = _controller()
    _enter(c, 0, "AB12CDE")
    tail = c.handle(VehiclePassed(T0 + 1, "site", "in", ENTRY))  # a second car through the same opening
    assert _one(tail, TailgateDetected).direction == ENTRY and c.counts.tailgates_entry == 1
    c.handle(PresenceSeen(T0 + 30 * MIN, "site", "B3", "TG99ZZZ"))
    c.handle(PresenceSeen(T0 + 10 * MIN, "site", "B3", "TG99ZZZ"))  # late report of an earlier sighting
    held = _one(_exit(c, 140, "TG99ZZZ"), ExitHeld)  # 130 min from 10 min - 15 free = 115: two hours
    assert held.amount == 4.0
    closed = _one(c.handle(PaymentMade(T0 + 141 * MIN, "site", "out", "TG99ZZZ", None, 4.0)), StayClosed)
    assert closed.entered is None and closed.billed_from == T0 + 10 * MIN and closed.review


def test_a_car_with_no_entry_record_and_no_evidence_leaves_free_for_review() -> None:
    c = _controller(max_stay_min=60, over_max_stay_fee=100)
    out = _exit(c, 500, "TG99ZZZ")
    assert _one(out, BarrierOpened).reason == "no_record"
    closed = _one(out, StayClosed)
    assert (closed.amount, closed.minutes, closed.review) == (0.0, 0.0, True)


def test_evidence_from_before_a_plates_last_exit_is_never_used_again() -> None:
    c = _controller()
    c.handle(PresenceSeen(T0, "site", "B3", "TG99ZZZ"))
    _exit(c, 10, "TG99ZZZ")  # first visit: leaves (inside the free minutes)
    out = _exit(c, 600, "TG99ZZZ")  # next visit, tailgated in, nothing seen: nothing billed
    assert _one(out, StayClosed).minutes == 0.0


def test_a_plate_entering_with_a_stay_still_open_closes_it_at_its_last_evidence_for_review() -> None:
    c = _controller()
    _enter(c, 0, "AB12CDE")
    c.handle(PresenceSeen(T0 + 50 * MIN, "site", "B3", "AB12CDE"))
    out = _enter(c, 600, "AB12CDE")  # it left unseen (tailgated out) and came back
    closed = _one(out, StayClosed)
    assert (closed.minutes, closed.settlement, closed.review) == (50.0, "no_exit", True)
    assert _one(out, BarrierOpened).reason == "entry"


def test_a_second_car_out_on_one_opening_is_an_exit_tailgate() -> None:
    c = _controller()
    _enter(c, 0, "AB12CDE")
    _exit(c, 5, "AB12CDE")
    c.handle(VehiclePassed(T0 + 5 * MIN, "site", "out", EXIT))
    assert _one(c.handle(VehiclePassed(T0 + 5 * MIN + 2, "site", "out", EXIT)), TailgateDetected).direction == EXIT


def test_a_full_car_park_refuses_entry() -> None:
    c = GateController("site", _parking(), capacity=1)
    _enter(c, 0, "AB12CDE")
    refused = c.handle(VehicleAtGate(T0 + MIN, "site", "in", ENTRY, "CD34EFG"))  # and it does not pass
    assert _one(refused, EntryRefused).reason == "full"
    _exit(c, 2, "AB12CDE")
    assert _one(_enter(c, 3, "CD34EFG"), BarrierOpened)


def test_permit_holders_park_free_unless_the_policy_says_otherwise() -> None:
    registry = Registry([RegisteredVehicle("ST44AFF", "staff", permit=True)])
    c = GateController("site", _parking(), registry=registry)
    _enter(c, 0, "ST44AFF")
    assert _one(_exit(c, 600, "ST44AFF"), StayClosed).amount == 0.0
    c = GateController("site", _parking(permits_park_free=False), registry=registry)
    _enter(c, 0, "ST44AFF")
    assert _one(_exit(c, 600, "ST44AFF"), ExitHeld).amount > 0


def test_the_price_is_fixed_when_the_car_joined_the_exit_queue() -> None:
    c = _controller()
    _enter(c, 0, "AB12CDE")
    queued = c.handle(VehicleAtGate(T0 + 130 * MIN, "site", "out", EXIT, "AB12CDE", queued_since=T0 + 70 * MIN))
    assert _one(queued, ExitHeld).amount == 2.0  # 70 - 15 free: one hour, not the hour spent queueing


def test_switched_off_validation_validates_nothing() -> None:
    c = _controller(validation={"enabled": False})
    _enter(c, 0, "EV11AAA")
    c.handle(ChargingSession(T0 + 100 * MIN, "site", "B1", "EV11AAA", None, "s1", T0 + 5 * MIN, 90.0))
    assert _one(_exit(c, 80, "EV11AAA"), ExitHeld).amount == 4.0
    closed = _one(c.handle(PaymentMade(T0 + 81 * MIN, "site", "out", "EV11AAA", None, 4.0)), StayClosed)
    assert not closed.validated
