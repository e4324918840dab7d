"""Driver responses against published findings on idle fees.

* About 80 % of overstayers respond to even a low idle fee.
* Time-based tariffs roughly halve connection time at workplace chargers.

The fee is isolated: no warnings (empty escalation ladder) and no rule compliance, so the only
reason to move the car is the fee.
"""

from __future__ import annotations

import pytest

from sim.runner import run
from sim.scenario import load_scenario

FEE_ONLY = {
    "policy.rules.overstay.enabled": True,
    "policy.idle_fee.enabled": True,
    "policy.idle_fee.per_min": 0.05,
    "policy.escalation.ladder": [],
    "population.staff.compliance": 0.0,
}


@pytest.fixture(scope="module")
def with_and_without_fee():
    _, without = run(load_scenario("workplace-garage/baseline"), seed=11, days=28)
    _, with_fee = run(load_scenario("workplace-garage/baseline", FEE_ONLY), seed=11, days=28)
    plugged = lambda r: r.sessions[r.sessions.plug_in.notna() & r.sessions.unplug.notna()]  # noqa: E731
    return plugged(without), plugged(with_fee), with_fee.summary


def test_about_80_percent_of_overstayers_respond_to_a_low_fee(with_and_without_fee) -> None:
    without, with_fee, _ = with_and_without_fee
    overstayed_without = (without.idle_min > 60).mean()
    overstayed_with = (with_fee.idle_min > 60).mean()
    assert 1 - overstayed_with / overstayed_without == pytest.approx(0.8, abs=0.1)


def test_an_idle_fee_roughly_halves_connection_time(with_and_without_fee) -> None:
    without, with_fee, _ = with_and_without_fee
    assert with_fee.connected_min.mean() / without.connected_min.mean() == pytest.approx(0.5, abs=0.15)


def test_the_fee_is_charged_to_those_who_do_not_respond(with_and_without_fee) -> None:
    _, _, summary = with_and_without_fee
    assert summary["idle_fee_revenue"] > 0
    assert summary["actions_by_kind"].get("idle_fee", 0) > 0
    assert "warning" not in summary["actions_by_kind"]
