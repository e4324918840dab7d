"""The rules engine on hand-written timelines: one behaviour per test."""

from __future__ import annotations

import pytest

from baytwin.core.events import PATROL, VehicleIdentified
from baytwin.core.registry import RegisteredVehicle, Registry
from baytwin.core.rules.engine import RulesEngine

from .timeline import SITE, arrive, at, charge, kinds, leave, opened, policy, run


def test_compliant_visit_has_no_violation() -> None:
    events = arrive(0) + charge(2, 120, 125) + leave(126)
    assert opened(run(policy(), events)) == []


def test_car_without_session_is_not_charging_after_the_allowance() -> None:
    out = run(policy(**{"rules.not_charging.arrival_allowance_min": 10}), arrive(0) + leave(60))
    assert opened(out) == [("not_charging", 10.0)]
    closed = kinds(out, "violation_closed")
    assert closed[0].reason == "vehicle_left" and closed[0].minutes == pytest.approx(50.0)


def test_car_that_leaves_within_the_allowance_is_not_a_violation() -> None:
    assert opened(run(policy(), arrive(0) + leave(9))) == []


def test_session_start_closes_a_not_charging_violation() -> None:
    out = run(policy(), arrive(0) + charge(30, 90, 95) + leave(96))
    assert opened(out) == [("not_charging", 10.0)]
    assert kinds(out, "violation_closed")[0].reason == "session_started"


def test_overstay_opens_when_grace_after_battery_full_runs_out() -> None:
    out = run(policy(**{"rules.overstay.grace_min": 15}), arrive(0) + charge(1, 60, 200) + leave(201))
    assert opened(out) == [("overstay", 75.0)]


def test_overstay_after_unplugging_counts_from_the_unplug() -> None:
    # Charging never reported as complete, cable out at 60, car stays until 100: camera proves presence.
    out = run(policy(**{"rules.overstay.grace_min": 10}), arrive(0) + charge(1, None, 60) + leave(100))
    assert opened(out) == [("overstay", 70.0)]


def test_suspended_by_ev_is_not_an_end_when_the_policy_says_so() -> None:
    p = policy(**{"rules.overstay.suspended_ev_counts_as_ended": False})
    out = run(p, arrive(0) + charge(1, 60, 300) + leave(400))
    assert opened(out) == [("overstay", 315.0)]  # only the unplug at 300 ends charging


def test_zero_current_counts_as_ended_after_the_declared_minutes() -> None:
    p = policy(**{"rules.overstay.grace_min": 10, "rules.overstay.zero_current_counts_as_ended_after_min": 30})
    out = run(p, arrive(0) + charge(1, 60, 300, how_full="zero_current") + leave(301))
    # Grace counts from when current stopped (60), but the end is only known at 60 + 30.
    assert opened(out) == [("overstay", 90.0)]
    assert kinds(out, "violation_opened")[0].since == at(70)


def test_zero_current_is_ignored_when_the_policy_disables_it() -> None:
    p = policy(**{"rules.overstay.zero_current_counts_as_ended_after_min": None})
    out = run(p, arrive(0) + charge(1, 60, 300, how_full="zero_current") + leave(400))
    assert opened(out) == [("overstay", 315.0)]


def test_charger_fault_does_not_penalise_the_driver_by_default() -> None:
    out = run(policy(), arrive(0) + charge(1, 30, 400, how_full="fault") + leave(401))
    assert opened(out) == []


def test_charger_fault_counts_as_end_when_the_policy_penalises() -> None:
    p = policy(**{"rules.faults.penalise_driver": True, "rules.overstay.grace_min": 15})
    out = run(p, arrive(0) + charge(1, 30, 400, how_full="fault") + leave(401))
    assert opened(out) == [("overstay", 45.0)]


def test_resumed_charging_closes_the_overstay() -> None:
    events = arrive(0) + charge(1, 60, None)
    from baytwin.core.events import SessionActive

    events.append(SessionActive(at(100), SITE.id, "b1", "s1", 10.0, 16.0))
    out = run(policy(**{"rules.overstay.grace_min": 15}), events, until_min=110)
    assert opened(out) == [("overstay", 75.0)]
    assert kinds(out, "violation_closed")[0].reason == "charging_resumed"


def test_max_stay_applies_per_group_even_while_charging() -> None:
    registry = Registry([RegisteredVehicle("AB12CDE", "visitor")])
    p = policy(**{"rules.max_stay.enabled": True, "rules.max_stay.limits_min": {"visitor": 120, "staff": 600}})
    out = run(p, arrive(0) + charge(1, None, None), until_min=200, registry=registry)
    assert opened(out) == [("max_stay", 120.0)]
    staff = Registry([RegisteredVehicle("AB12CDE", "staff")])
    assert opened(run(p, arrive(0) + charge(1, None, None), until_min=200, registry=staff)) == []


def test_unknown_plate_falls_in_the_default_group() -> None:
    p = policy(**{"rules.max_stay.enabled": True, "rules.max_stay.limits_min": {"visitor": 60}})
    assert opened(run(p, arrive(0) + charge(1, None, None), until_min=90)) == [("max_stay", 60.0)]


def test_whitelisted_plate_is_exempt_from_every_rule() -> None:
    p = policy(**{"exemptions.whitelist": ["ab12 cde"]})
    assert opened(run(p, arrive(0) + leave(600))) == []


def test_exempt_group_skips_only_its_listed_rules() -> None:
    registry = Registry([RegisteredVehicle("AB12CDE", "fleet")])
    p = policy(**{"exemptions.exempt_groups": {"fleet": ["not_charging"]}})
    out = run(p, arrive(0) + charge(30, 60, 200) + leave(201), registry=registry)
    assert opened(out) == [("overstay", 75.0)]


def test_accessibility_permit_gets_extra_grace() -> None:
    registry = Registry([RegisteredVehicle("AB12CDE", "visitor", accessible=True)])
    p = policy(**{"rules.overstay.grace_min": 15, "exemptions.accessibility.extra_min": 60})
    out = run(p, arrive(0) + charge(1, 60, 300) + leave(301), registry=registry)
    assert opened(out) == [("overstay", 135.0)]


def test_rules_only_open_within_active_hours() -> None:
    # T0 is 22:13 local (Europe/London, winter = UTC); rules apply 08:00-18:00 every day.
    p = policy(active_hours=[{"start": "08:00", "end": "18:00"}])
    out = run(p, arrive(0) + leave(14 * 60), until_min=15 * 60)
    assert len(opened(out)) == 1
    opened_local = SITE.local(kinds(out, "violation_opened")[0].ts)
    assert (opened_local.hour, opened_local.minute) == (8, 0)


def test_site_overrides_change_the_policy_at_that_site_only() -> None:
    p = policy(site_overrides={"site": {"rules": {"overstay": {"grace_min": 45}}}})
    out = run(p, arrive(0) + charge(1, 60, 200) + leave(201))
    assert opened(out) == [("overstay", 105.0)]


def test_idle_fee_per_minute_after_grace_is_capped() -> None:
    p = policy(**{"rules.overstay.grace_min": 10, "idle_fee.enabled": True, "idle_fee.per_min": 0.5, "idle_fee.cap": 20})
    out = run(p, arrive(0) + charge(1, 60, 100) + leave(100))
    assert [a.amount for a in kinds(out, "action_taken") if a.action == "idle_fee"] == [15.0]
    out = run(p, arrive(0) + charge(1, 60, 600) + leave(600))
    assert [a.amount for a in kinds(out, "action_taken") if a.action == "idle_fee"] == [20.0]


def test_escalation_ladder_counts_offences_within_the_window() -> None:
    p = policy(**{"escalation.window_days": 30, "escalation.ladder": [
        {"count": 1, "action": "warning"}, {"count": 2, "action": "ticket", "amount": 35},
        {"count": 3, "action": "restrict", "days": 7}, {"count": 4, "action": "ban"}]})
    engine = RulesEngine(p, SITE)
    actions = []
    for day in range(5):
        base = day * 24 * 60
        for event in arrive(base) + leave(base + 60):
            actions += [o.action for o in engine.handle(event) if o.kind == "action_taken"]
    assert actions == ["warning", "ticket", "restrict", "ban", "ban"]
    assert not engine.authorize(None, "AB12CDE", at(6 * 24 * 60))


def test_offences_outside_the_window_are_forgotten() -> None:
    p = policy(**{"escalation.window_days": 1})
    engine = RulesEngine(p, SITE)
    actions = []
    for day in (0, 3, 6):
        for event in arrive(day * 1440) + leave(day * 1440 + 60):
            actions += [o.action for o in engine.handle(event) if o.kind == "action_taken"]
    assert actions == ["warning", "warning", "warning"]


def test_restriction_denies_authorization_until_it_expires() -> None:
    p = policy(**{"escalation.ladder": [{"count": 1, "action": "restrict", "days": 2}]})
    engine = RulesEngine(p, SITE)
    for event in arrive(0) + leave(60):
        engine.handle(event)
    assert not engine.authorize(None, "AB12CDE", at(61))
    assert engine.authorize(None, "AB12CDE", at(3 * 1440))


def test_unidentified_vehicle_goes_to_review_not_to_a_penalty() -> None:
    out = run(policy(), arrive(0, plate=None, confidence=0.0) + leave(60))
    assert [a.action for a in kinds(out, "action_taken")] == ["review"]


def test_rfid_token_identifies_the_driver_when_the_camera_cannot() -> None:
    registry = Registry([RegisteredVehicle("AB12CDE", "staff", id_tokens=("tok-1",))])
    out = run(policy(), arrive(0, plate=None, confidence=0.0) + charge(1, 60, 200) + leave(201), registry=registry)
    violation = kinds(out, "violation_opened")[0]
    assert violation.plate == "AB12CDE" and violation.id_token == "tok-1"


def test_violation_carries_the_evidence_that_decided_it() -> None:
    out = run(policy(), arrive(0) + charge(1, 60, 200) + leave(201))
    violation = kinds(out, "violation_opened")[0]
    assert [e.kind for e in violation.evidence] == [
        "vehicle_arrived", "vehicle_identified", "session_started", "session_active", "session_suspended"]
    assert violation.plate_confidence == pytest.approx(0.97)


def test_charger_only_site_bills_idle_time_until_unplug() -> None:
    p = policy(**{"rules.overstay.grace_min": 10, "idle_fee.enabled": True, "idle_fee.per_min": 1.0, "idle_fee.cap": None})
    out = run(p, charge(0, 60, 100))  # no camera: the cable is the only proof of presence
    assert opened(out) == [("overstay", 70.0)]
    assert [a.amount for a in kinds(out, "action_taken") if a.action == "idle_fee"] == [30.0]


def test_patrol_confirms_a_breach_only_when_it_sees_the_car_again() -> None:
    events = arrive(0, source=PATROL) + [VehicleIdentified(at(60), SITE.id, "b1", "AB12CDE", 1.0, PATROL)]
    out = run(policy(), events, until_min=90)
    assert opened(out) == [("not_charging", 60.0)]  # due at 10, seen again at 60


def test_patrol_does_not_open_a_breach_for_a_car_never_seen_again() -> None:
    events = arrive(0, source=PATROL) + leave(60, source=PATROL)
    assert opened(run(policy(), events, until_min=90)) == []


def test_missed_departure_is_closed_when_a_new_car_arrives() -> None:
    events = arrive(0) + arrive(30, plate="XY34ZZZ")
    out = run(policy(), events, until_min=35)
    assert kinds(out, "violation_closed")[0].reason == "replaced"
    assert opened(out) == [("not_charging", 10.0)]


def test_bays_are_judged_independently() -> None:
    events = arrive(0, bay="b1") + arrive(0, bay="b2", plate="XY34ZZZ") + charge(1, 60, 61, bay="b2") + leave(62, bay="b2")
    out = run(policy(), events, until_min=30)
    assert [(o.bay, o.rule) for o in kinds(out, "violation_opened")] == [("b1", "not_charging")]


def test_exact_duplicate_events_are_ignored() -> None:
    events = arrive(0) + charge(1, 60, 200) + leave(201)
    assert opened(run(policy(), events + events)) == opened(run(policy(), events))


def test_next_due_tells_the_driver_when_to_wake_the_engine() -> None:
    engine = RulesEngine(policy(**{"rules.not_charging.arrival_allowance_min": 10}), SITE)
    for event in arrive(0):
        engine.handle(event)
    assert engine.next_due == at(10)
    assert engine.advance(at(9)) == []
    assert [o.kind for o in engine.advance(at(10))][:1] == ["violation_opened"]


def test_a_new_session_after_a_patrol_sighting_is_the_next_car_not_the_previous_one() -> None:
    p = policy(**{"rules.overstay.grace_min": 10})
    events = (arrive(0, source=PATROL) + charge(1, 30, 35, sid="a")  # car A, sighted by the patrol, leaves at 35
              + charge(60, 90, 300, sid="b", token="tok-2"))         # car B plugs in; no patrol has passed since
    out = run(p, events, until_min=400)
    overstays = [o for o in kinds(out, "violation_opened") if o.rule == "overstay"]
    assert [(round((o.ts - at(0)) / 60), o.plate, o.id_token) for o in overstays][-1] == (100, None, "tok-2")


def test_an_overstay_known_only_at_the_unplug_is_billed_there() -> None:
    """No camera; the car draws 0 A from minute 60 (judged finished only after 30 minutes of it) and is
    unplugged at minute 85: 10 minutes past a 15-minute grace, so 10 minutes of idle fee."""
    p = policy(**{"rules.overstay.grace_min": 15, "idle_fee.enabled": True, "idle_fee.per_min": 0.5,
                  "idle_fee.cap": 100})
    out = run(p, charge(0, 60, 85, how_full="zero_current"), until_min=200)
    assert opened(out) == [("overstay", 85.0)]
    closed = kinds(out, "violation_closed")[0]
    assert closed.minutes == pytest.approx(10.0)
    fee = [o for o in kinds(out, "action_taken") if o.action == "idle_fee"]
    assert len(fee) == 1 and fee[0].amount == pytest.approx(5.0)


def _patrol_round(minute: float, plate: str | None, left: bool = False) -> list:
    """One patrol pass of bay b1: the car it noted is gone (``left``), then what it finds."""
    events = leave(minute, source=PATROL) if left else []
    if plate is not None:
        events += arrive(minute, plate=plate, confidence=1.0, source=PATROL)
    return events


def test_a_breach_that_waits_for_the_rules_hours_needs_presence_within_them() -> None:
    """Rules apply 08:00-18:00 (08:00 is minute 586.67). The car overstays all night, is seen by the hourly
    patrol at 07:13 and unplugs at 07:43: gone by the 08:13 round, it was never in breach while the rules
    applied. Still parked there, it is in breach from that sighting; still on the cable, from 08:00."""
    p = policy(active_hours=[{"start": "08:00", "end": "18:00"}], **{"rules.overstay.grace_min": 15})
    overnight = arrive(0, source=PATROL) + [e for m in range(60, 600, 60) for e in _patrol_round(m, "AB12CDE")[1:]]
    gone = overnight + charge(1, 30, 570) + _patrol_round(600, None, left=True)
    assert opened(run(p, gone, until_min=700)) == []
    parked = overnight + charge(1, 30, 570) + _patrol_round(600, "AB12CDE")[1:]
    out = run(p, parked, until_min=700)
    assert opened(out) == [("overstay", 600.0)]
    assert kinds(out, "violation_opened")[0].since == at(600)  # billed from when it was seen in breach
    plugged = overnight + charge(1, 30, 650)
    assert opened(run(p, plugged, until_min=700)) == [("overstay", 586.667)]  # the cable proves presence


def test_a_patrol_noting_an_earlier_car_gone_does_not_end_the_visit_of_the_car_on_the_cable() -> None:
    """Car A charges and leaves between rounds; car B plugs in with its registered token, overstays, and is
    found by the next round in A's place. B's stay is one visit with one overstay, named by its plate."""
    registry = Registry([RegisteredVehicle("CD34EFG", "staff", id_tokens=("tok-2",))])
    p = policy(**{"rules.overstay.grace_min": 15})
    events = (charge(0, 20, 25, sid="a") + arrive(5, plate="AB12CDE", confidence=1.0, source=PATROL)
              + charge(30, 40, 120, sid="b", token="tok-2") + _patrol_round(65, "CD34EFG", left=True)
              + _patrol_round(125, None, left=True))
    out = run(p, events, until_min=200, registry=registry)
    assert [(rule, minute) for rule, minute in opened(out)] == [("overstay", 55.0)]
    assert [o.plate for o in kinds(out, "violation_opened")] == ["CD34EFG"]
    assert [(c.reason, round((c.ts - at(0)) / 60)) for c in kinds(out, "violation_closed")] != [("vehicle_left", 65)]


@pytest.mark.parametrize("known", ["registered", "whitelisted"])
def test_a_read_that_is_a_known_plate_but_for_lookalike_characters_goes_to_review_and_counts_against_nobody(known: str) -> None:
    registry = Registry([RegisteredVehicle("AB12CDE", "staff", permit=True)]) if known == "registered" else Registry()
    p = policy(**{"exemptions.whitelist": ["AB12CDE"] if known == "whitelisted" else [],
                  "escalation.ladder": [{"count": 1, "action": "ticket", "amount": 35}]})
    engine = RulesEngine(p, SITE, registry)
    misread = arrive(0, plate="A812C0E") + leave(60)  # B read as 8, D as 0: the known car, most likely
    actions = [o for e in misread for o in engine.handle(e) if o.kind == "action_taken"]
    assert [(a.action, a.plate) for a in actions] == [("review", "A812C0E")]
    assert engine.authorize(None, "A812C0E", at(61)) and engine.ledger.record("A812C0E", at(61)) == 1  # nothing held against it


def test_a_plate_unlike_any_known_one_is_ticketed_as_before() -> None:
    registry = Registry([RegisteredVehicle("AB12CDE", "staff", permit=True)])
    p = policy(**{"escalation.ladder": [{"count": 1, "action": "ticket", "amount": 35}]})
    out = run(p, arrive(0, plate="XY34ZZZ") + leave(60), registry=registry)
    assert [(a.action, a.plate) for a in kinds(out, "action_taken")] == [("ticket", "XY34ZZZ")]
