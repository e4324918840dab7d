"""Barriers and parking payment in the twin: figures move the right way, nobody is billed outside their stay,
and a site without gates runs exactly as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from baytwin.core.config import ConfigError
from baytwin.core.parking.tariff import tariff_amount
from baytwin.sim.model import BayTwinModel
from baytwin.sim.runner import run
from baytwin.sim.scenario import load_scenario
from tests.sim.factories import scenario

GATES: dict[str, Any] = {"entry": {"reader": "anpr", "unreadable_rate": 0.05},
                         "exit": {"reader": "anpr", "unreadable_rate": 0.05},
                         "tailgate_probability": 0.05}
PARKING: dict[str, Any] = {"tariff": {"basis": "per_started_hour", "rate": 2.0, "free_min": 15},
                           "validation": {"mode": "free_minutes", "free_min": 60}}


def _site(gates: dict[str, Any] | None = None, parking: dict[str, Any] | None = None, days: float = 3,
          **more: Any) -> Any:
    """A small car park: EV and general bays, drivers who mostly do not charge, stays of a few hours."""
    policy: dict[str, Any] = {"rules": {"not_charging": {"enabled": False}, "overstay": {"enabled": False}}}
    if parking is not None:
        policy["parking"] = parking
    return scenario(days=days, site={"ev_bays": 6, "general_bays": 40, "gates": gates, "enforcement": {"mode": "anpr"}},
                    policy=policy, population={"drivers": {"ev_share": 0.3, "arrivals_per_day": {"weekday": 150,
                                                                                                   "weekend": 150},
                                                            "stay_h": {"dist": "lognormal", "median": 2.0,
                                                                       "sigma": 0.7, "high": 10}}}, **more)


def _summary(gates: dict[str, Any] | None, parking: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    _, result = run(_site(gates, parking, **more))
    return result.summary


def test_gates_leave_every_other_figure_of_the_run_as_it_was() -> None:
    without = _summary(None)
    with_gates = _summary(GATES, PARKING)
    assert not any(k.startswith(("gate_", "parking_")) for k in without)
    for key, value in without.items():
        if key != "wall_seconds":
            assert with_gates[key] == value, key
    assert with_gates["gate_entries"] > 0 and with_gates["parking_revenue"] > 0


def test_the_bundled_anpr_scenario_runs_the_same_behind_barriers_but_for_the_gate_figures() -> None:
    _, without = run(load_scenario("retail-car-park/anpr"), days=1)
    _, with_gates = run(load_scenario("retail-car-park/gates"), days=1)
    for key, value in without.summary.items():
        if key not in ("wall_seconds", "scenario"):
            assert with_gates.summary[key] == value, key
    extra = set(with_gates.summary) - set(without.summary)
    assert extra and all(k.startswith(("gate_", "parking_", "valid")) for k in extra)


def test_a_bundled_scenario_without_gates_writes_the_same_scenario_as_before() -> None:
    loaded = load_scenario("retail-car-park/anpr")
    dumped = loaded.model_dump(mode="json")
    assert "parking" not in dumped and "gates" not in dumped["site"]  # the file as run, and the run's identity


def test_nobody_is_billed_for_a_minute_outside_their_passage_through_the_car_park() -> None:
    model = BayTwinModel(_site(GATES, PARKING, days=3))
    model.run()
    passages = [p for p in model.gates.passages.values() if p.stay is not None]
    assert passages
    for p in passages:
        stay = p.stay
        assert stay.billed_from >= p.entered - 1e-6
        assert stay.billed_from + stay.minutes * 60.0 <= p.left + 1e-6
        free = min(stay.minutes, 15.0) + stay.validated_minutes
        assert stay.amount <= tariff_amount(model.gates.parking.tariff, (p.left - p.entered) / 60.0 - free) + 1e-9
    tailgated = [p for p in passages if p.tailgated]
    assert tailgated and all(p.stay.review and p.stay.entered is None for p in tailgated)


def test_a_longer_free_validation_lowers_revenue_and_keeps_the_validated_stays() -> None:
    short = _summary(GATES, {**PARKING, "validation": {"mode": "free_minutes", "free_min": 30}})
    long = _summary(GATES, {**PARKING, "validation": {"mode": "free_minutes", "free_min": 240}})
    whole = _summary(GATES, {**PARKING, "validation": {"mode": "whole_stay"}})
    assert short["validated_stays"] == long["validated_stays"] == whole["validated_stays"] > 0
    assert short["parking_revenue"] > long["parking_revenue"] > whole["parking_revenue"]
    assert short["validation_discount"] < long["validation_discount"] < whole["validation_discount"]


def test_an_outage_with_open_and_bill_later_loses_no_revenue_when_plates_are_read() -> None:
    read = {"entry": {"unreadable_rate": 0.0}, "exit": {"unreadable_rate": 0.0}, "tailgate_probability": 0.0}
    outage = {**read, "payment_outages": [{"start_h": 10, "end_h": 40}]}
    steady = _summary(read, PARKING)
    down = _summary(outage, {**PARKING, "on_payment_outage": "open_bill_later"})
    assert down["parking_billed_later"] > 0 and down["parking_unbillable"] == 0
    assert down["parking_revenue"] == steady["parking_revenue"]
    assert down["gate_exit_queue_min"] < steady["gate_exit_queue_min"]  # nobody paid at the barrier meanwhile


def test_an_outage_with_hold_keeps_cars_at_the_barrier_and_tickets_without_plates_cannot_be_billed_later() -> None:
    outage = {**GATES, "payment_outages": [{"start_h": 10, "end_h": 14}]}
    held = _summary(outage, {**PARKING, "on_payment_outage": "hold"})
    steady = _summary(GATES, PARKING)
    assert held["gate_exits_held_for_outage"] > 0
    assert held["gate_exit_queue_min"] > steady["gate_exit_queue_min"]
    ticket_gates = {**outage, "entry": {"reader": "ticket"}, "exit": {"reader": "ticket"}}
    lost = _summary(ticket_gates, {**PARKING, "on_payment_outage": "open_bill_later"})
    assert lost["parking_unbillable"] > 0 and lost["gate_unreadable_plates"] == 0


def test_unreadable_plates_and_tailgates_are_counted_at_about_their_rates() -> None:
    summary = _summary({**GATES, "tailgate_probability": 0.1}, PARKING, days=4)
    exits = summary["gate_exits"]
    assert 0.06 * exits < summary["gate_tailgates"] < 0.14 * exits
    assert 0.06 * exits < summary["gate_unreadable_plates"] < 0.14 * exits  # two gates at 5 % each
    assert summary["gate_tickets_issued"] == pytest.approx(0.05 * summary["gate_entries"], rel=0.5)


def test_the_bundled_gates_scenario_runs(tmp_path: Path) -> None:
    loaded = load_scenario("retail-car-park/gates")
    assert loaded.site.gates is not None and loaded.parking is not None
    assert loaded.parking.validation.free_min == 120 and loaded.policy.name == "retail"
    _, result = run(loaded, days=1)
    assert result.summary["gate_entries"] > 0 and result.summary["parking_revenue"] > 0


@pytest.mark.parametrize(("text", "message"), [
    ("site:\n  gates: {tailgate_probability: 2}\n",
     "site.gates.tailgate_probability: Input should be less than or equal to 1 (got 2)"),
    ("site:\n  gates: {entry: {reader: barcode}}\n", "site.gates.entry.reader: Input should be 'anpr' or 'ticket'"),
    ("site:\n  gates: {payment_outages: [{start_h: 5, end_h: 2}]}\n",
     "site.gates.payment_outages.0: end_h must be after start_h"),
    ("overrides:\n  policy.parking.tariff.rate: -1\n", "parking.tariff.rate: Input should be greater than or equal to 0"),
    ("overrides:\n  policy.parking.validation.mode: forever\n", "parking.validation.mode: Input should be"),
])
def test_a_bad_gates_or_parking_field_is_one_line_naming_file_and_field(tmp_path: Path, text: str,
                                                                        message: str) -> None:
    path = tmp_path / "bad.yaml"
    anpr = Path(__file__).resolve().parents[2] / "scenarios" / "retail-car-park" / "anpr.yaml"
    path.write_text(f"extends: {anpr}\nname: bad\n{text}")
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_the_tariff_can_be_set_from_the_command_line_either_way() -> None:
    by_policy = load_scenario("retail-car-park/gates", {"policy.parking.tariff.rate": 3.0})
    by_scenario = load_scenario("retail-car-park/gates", {"parking.tariff.rate": 4.0})
    assert by_policy.parking is not None and by_policy.parking.tariff.rate == 3.0
    assert by_scenario.parking is not None and by_scenario.parking.tariff.rate == 4.0
    assert by_scenario.parking.validation.free_min == 120  # the rest of the policy's section is kept
