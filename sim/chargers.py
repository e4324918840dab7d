"""Emulated chargers: the session lifecycle of a real EVSE, in sim time.

The driver agents talk to a charger only through ``ChargerPort`` (plug in,
unplug, and a ``charging_done`` signal they can wait for). The emulated
charger here reports the session straight to the site's event feed; a charger
that speaks OCPP to the central system implements the same port, so the
agents never change when the transport does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Protocol

import simpy

from baytwin.core.clock import Clock
from baytwin.core.events import Event, SessionActive, SessionEnded, SessionFaulted, SessionStarted, SessionSuspended
from baytwin.sim.battery import ChargeCurve
from baytwin.sim.scenario import Chargers


@dataclass(slots=True)
class PluggedVehicle:
    """What the charger learns of the car on the cable."""

    id_token: str | None
    plate: str
    curve: ChargeCurve
    soc: float
    target_soc: float


@dataclass(slots=True)
class SessionOutcome:
    """Filled in as the session runs; the driver's visit record reads it."""

    session_id: str
    plugged_at: float
    charging_stopped_at: float | None = None
    complete: bool = False
    faulted: bool = False
    energy_kwh: float = 0.0


class ChargerPort(Protocol):
    """All a driver may do with a charger."""

    def plug_in(self, vehicle: PluggedVehicle) -> SessionOutcome | None:
        """Plug in and authorize; None when authorization is refused."""

    def unplug(self) -> None: ...

    @property
    def charging_done(self) -> simpy.Event:
        """Succeeds when the car stops drawing power (full, or faulted)."""

    @property
    def is_charging(self) -> bool: ...


Emit = Callable[[Event], None]
Authorize = Callable[[str | None, str | None, float], bool]


class EmulatedCharger:
    def __init__(
        self,
        env: simpy.Environment,
        clock: Clock,
        site_id: str,
        bay_id: str,
        spec: Chargers,
        rng: random.Random,
        emit: Emit,
        authorize: Authorize,
    ) -> None:
        self.env, self.clock, self.site_id, self.bay_id = env, clock, site_id, bay_id
        self.spec, self.rng, self.emit, self.authorize = spec, rng, emit, authorize
        self._sessions = 0
        self._vehicle: PluggedVehicle | None = None
        self._outcome: SessionOutcome | None = None
        self._process: simpy.Process | None = None
        self._done: simpy.Event = env.event()
        self._charging_since: float | None = None
        self._soc_at_start = 0.0
        self._power_kw = 0.0
        self._curve = ChargeCurve(1.0, 1.0)  # set when current starts to flow

    @property
    def charging_done(self) -> simpy.Event:
        return self._done

    @property
    def is_charging(self) -> bool:
        return self._charging_since is not None

    def plug_in(self, vehicle: PluggedVehicle) -> SessionOutcome | None:
        now = self.clock.now()
        if not self.authorize(vehicle.id_token, vehicle.plate, now):
            return None
        self._sessions += 1
        session_id = f"{self.bay_id}-{self._sessions}"
        self._vehicle = vehicle
        self._outcome = SessionOutcome(session_id=session_id, plugged_at=now)
        self._done = self.env.event()
        self.emit(SessionStarted(now, self.site_id, self.bay_id, session_id, 0.0, 0.0, vehicle.id_token))
        self._process = self.env.process(self._charge())
        return self._outcome

    def unplug(self) -> None:
        if self._outcome is None or self._vehicle is None:
            return
        if self._process is not None and self._process.is_alive:
            self._process.interrupt("unplugged")
        now = self.clock.now()
        self._stop_flow(now)
        outcome = self._outcome
        self.emit(SessionEnded(now, self.site_id, self.bay_id, outcome.session_id, round(outcome.energy_kwh, 4), 0.0))
        self._vehicle = self._outcome = self._process = None

    # --- the session as a SimPy process ------------------------------------------------

    def _charge(self):  # type: ignore[no-untyped-def]
        vehicle, outcome = self._vehicle, self._outcome
        assert vehicle is not None and outcome is not None
        if vehicle.soc >= vehicle.target_soc:  # arrived full: the car never draws power
            self._report_full(self.clock.now())
            return
        self._start_flow()
        hours = vehicle.curve.hours(vehicle.soc, vehicle.target_soc)
        fault_after = self._fault_after(hours)
        stop_after = min(hours, fault_after)
        interval = self.spec.meter_interval_min / 60.0 if self.spec.meter_interval_min else float("inf")
        elapsed = 0.0
        try:
            while elapsed < stop_after:
                step = min(interval, stop_after - elapsed)
                yield self.env.timeout(step * 3600.0)
                elapsed += step
                if elapsed < stop_after:
                    self._report_meter(elapsed)
        except simpy.Interrupt:
            return
        now = self.clock.now()
        self._stop_flow(now)
        if fault_after < hours:
            outcome.faulted = True
            self.emit(SessionFaulted(now, self.site_id, self.bay_id, outcome.session_id, round(outcome.energy_kwh, 4), 0.0, "GroundFailure"))
            self._done.succeed()
            return
        self._report_full(now)

    def _report_meter(self, hours_charging: float) -> None:
        """A periodic meter value: energy so far and the current at today's state of charge (tapering)."""
        vehicle, outcome = self._vehicle, self._outcome
        assert vehicle is not None and outcome is not None
        curve = self._curve
        soc = curve.soc_after(self._soc_at_start, hours_charging, vehicle.target_soc)
        energy = outcome.energy_kwh + (soc - self._soc_at_start) * vehicle.curve.battery_kwh
        current = curve.power_kw(soc) * 1000.0 / self.spec.voltage_v
        self.emit(SessionActive(self.clock.now(), self.site_id, self.bay_id, outcome.session_id,
                                round(energy, 4), round(current, 2)))

    def _fault_after(self, hours: float) -> float:
        if self.rng.random() < self.spec.fault_rate:
            return self.rng.random() * hours
        return float("inf")

    def _start_flow(self) -> None:
        vehicle, outcome = self._vehicle, self._outcome
        assert vehicle is not None and outcome is not None
        self._charging_since = self.clock.now()
        self._soc_at_start = vehicle.soc
        self._power_kw = min(self.spec.power_kw, vehicle.curve.max_kw)
        self._curve = ChargeCurve(vehicle.curve.battery_kwh, self._power_kw)  # this session's, at this charger's power
        current = self._power_kw * 1000.0 / self.spec.voltage_v
        self.emit(SessionActive(self._charging_since, self.site_id, self.bay_id, outcome.session_id, 0.0, round(current, 2)))

    def _stop_flow(self, now: float) -> None:
        """Account for the energy delivered since charging started."""
        vehicle, outcome = self._vehicle, self._outcome
        if self._charging_since is None or vehicle is None or outcome is None:
            return
        soc = self._curve.soc_after(self._soc_at_start, (now - self._charging_since) / 3600.0, vehicle.target_soc)
        outcome.energy_kwh += (soc - self._soc_at_start) * vehicle.curve.battery_kwh
        vehicle.soc = soc
        outcome.charging_stopped_at = now
        self._charging_since = None

    def _report_full(self, now: float) -> None:
        outcome = self._outcome
        assert outcome is not None
        outcome.complete = True
        outcome.charging_stopped_at = now
        energy = round(outcome.energy_kwh, 4)
        if self.rng.random() < self.spec.zero_current_share:
            # Some cars leave the charger reporting "charging" with no current at all.
            self.emit(SessionActive(now, self.site_id, self.bay_id, outcome.session_id, energy, 0.0))
        else:
            self.emit(SessionSuspended(now, self.site_id, self.bay_id, outcome.session_id, energy, 0.0, "ev"))
        self._done.succeed()
