"""Bays nobody can see and chargers that cannot charge: no driver pays for them."""

from __future__ import annotations

import pytest

from baytwin.core.events import BayUnobserved, ChargerAvailable, ChargerUnavailable

from .timeline import SITE, arrive, at, charge, kinds, leave, opened, policy, run


def test_a_camera_lost_mid_violation_closes_it_there_and_a_car_still_seen_later_starts_afresh() -> None:
    events = arrive(0) + [BayUnobserved(at(30), SITE.id, "b1", "camera", "stream ended")] + arrive(90) + leave(95)
    out = run(policy(**{"rules.not_charging.arrival_allowance_min": 10}), events)
    assert opened(out) == [("not_charging", 10.0)]  # the second sighting left within its allowance
    (closed,) = kinds(out, "violation_closed")
    assert closed.reason == "bay_unobserved" and closed.minutes == pytest.approx(20.0)  # not 85


def test_while_the_camera_is_down_a_charging_car_stays_and_unplugging_is_its_departure() -> None:
    events = arrive(0) + charge(2, 60, 70) + [BayUnobserved(at(20), SITE.id, "b1", "camera", "camera down")]
    out = run(policy(**{"rules.overstay.grace_min": 15}), events, until_min=300)
    assert opened(out) == []  # unplugged within the grace; the visit ended with the cable, nothing accrues


def test_a_charger_offline_at_arrival_holds_the_not_charging_rule_and_the_allowance_restarts_when_it_is_back() -> None:
    down, back = ChargerUnavailable(at(-5), SITE.id, "b1", "offline"), ChargerAvailable(at(40), SITE.id, "b1")
    out = run(policy(**{"rules.not_charging.arrival_allowance_min": 10}), [down] + arrive(0) + [back] + leave(80))
    assert opened(out) == [("not_charging", 50.0)]  # 40 + 10, not 10
    assert kinds(out, "violation_closed")[0].minutes == pytest.approx(30.0)


def test_a_charger_going_offline_closes_an_open_not_charging_violation_and_it_counts_once_against_the_driver() -> None:
    events = arrive(0) + [ChargerUnavailable(at(20), SITE.id, "b1", "faulted"), ChargerAvailable(at(30), SITE.id, "b1")] \
        + leave(100)
    out = run(policy(**{"rules.not_charging.arrival_allowance_min": 10}), events)
    assert opened(out) == [("not_charging", 10.0), ("not_charging", 40.0)]
    reasons = [c.reason for c in kinds(out, "violation_closed")]
    assert reasons == ["charger_unavailable", "vehicle_left"]
    assert len([a for a in kinds(out, "action_taken") if a.action != "idle_fee"]) == 1  # one warning, not two


def test_a_charger_that_stays_offline_the_whole_visit_never_blames_the_driver() -> None:
    events = [ChargerUnavailable(at(-60), SITE.id, "b1", "offline")] + arrive(0) + leave(300)
    assert opened(run(policy(), events)) == []


def test_unknown_states_of_one_bay_leave_the_neighbour_alone() -> None:
    events = arrive(0, bay="b2") + [ChargerUnavailable(at(1), SITE.id, "b1", "offline"),
                                    BayUnobserved(at(2), SITE.id, "b1", "camera", "down")] + leave(60, bay="b2")
    out = run(policy(**{"rules.not_charging.arrival_allowance_min": 10}), events)
    assert opened(out) == [("not_charging", 10.0)]


def test_the_same_car_found_after_an_outage_is_one_stay_and_counts_once_against_the_driver() -> None:
    events = arrive(0) + [BayUnobserved(at(30), SITE.id, "b1", "camera", "camera down")] + arrive(40) + leave(90)
    out = run(policy(**{"rules.not_charging.arrival_allowance_min": 10}), events)
    assert opened(out) == [("not_charging", 10.0), ("not_charging", 50.0)]  # nothing between 30 and 50 is charged
    assert [a.action for a in kinds(out, "action_taken")] == ["warning"]  # not a second offence: no restriction
    other = arrive(0) + [BayUnobserved(at(30), SITE.id, "b1", "camera", "camera down")] + arrive(40, plate="ZZ99ZZZ")
    assert len(kinds(run(policy(), other), "action_taken")) == 2  # another car is another driver's first offence
