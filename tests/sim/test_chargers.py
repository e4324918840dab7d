"""Emulated chargers report a session's lifecycle the way a real EVSE does."""

from __future__ import annotations

import random

import pytest
import simpy

from baytwin.core.clock import OffsetClock
from baytwin.core.events import Event
from baytwin.sim.battery import ChargeCurve
from baytwin.sim.chargers import EmulatedCharger, PluggedVehicle
from baytwin.sim.scenario import Chargers


def make(spec: Chargers, allow: bool = True) -> tuple[simpy.Environment, EmulatedCharger, list[Event]]:
    env = simpy.Environment()
    events: list[Event] = []
    charger = EmulatedCharger(env, OffsetClock(0.0, lambda: env.now), "s", "EV001", spec, random.Random(1),
                              events.append, lambda token, plate, now: allow)
    return env, charger, events


def vehicle(soc: float = 0.5) -> PluggedVehicle:
    return PluggedVehicle("tok", "AB12CDE", ChargeCurve(40.0, 7.4), soc, 0.9)


def test_session_runs_started_active_meters_full_ended() -> None:
    env, charger, events = make(Chargers(power_kw=7.4, fault_rate=0.0, zero_current_share=0.0, meter_interval_min=15))
    outcome = charger.plug_in(vehicle())
    env.run(until=8 * 3600)
    charger.unplug()
    kinds = [e.kind for e in events]
    assert kinds[0] == "session_started" and kinds[1] == "session_active"
    assert kinds[-2:] == ["session_suspended", "session_ended"]
    meters = [e for e in events[2:-2] if e.kind == "session_active"]
    assert len(meters) > 4
    energies = [e.energy_kwh for e in meters]
    assert energies == sorted(energies)
    assert meters[-1].current_a < meters[0].current_a  # tapering above 80 %
    assert events[-1].energy_kwh == pytest.approx(0.4 * 40.0, rel=1e-6)
    assert outcome is not None and outcome.complete


def test_unplugging_early_ends_with_the_energy_delivered_so_far() -> None:
    env, charger, events = make(Chargers(power_kw=7.4, fault_rate=0.0, meter_interval_min=0))
    charger.plug_in(vehicle(0.1))
    env.run(until=3600)
    charger.unplug()
    assert [e.kind for e in events] == ["session_started", "session_active", "session_ended"]
    assert events[-1].energy_kwh == pytest.approx(7.4, rel=1e-6)


def test_refused_authorization_starts_no_session() -> None:
    env, charger, events = make(Chargers(), allow=False)
    assert charger.plug_in(vehicle()) is None
    assert events == []


def test_faults_happen_at_the_declared_rate() -> None:
    env, charger, events = make(Chargers(fault_rate=1.0, meter_interval_min=0))
    charger.plug_in(vehicle())
    env.run(until=8 * 3600)
    assert events[-1].kind == "session_faulted"


def test_some_cars_report_zero_current_instead_of_suspending() -> None:
    env, charger, events = make(Chargers(fault_rate=0.0, zero_current_share=1.0, meter_interval_min=0))
    charger.plug_in(vehicle())
    env.run(until=8 * 3600)
    assert events[-1].kind == "session_active" and events[-1].current_a == 0.0
