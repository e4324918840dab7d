"""An emulated charger that speaks OCPP: the same session as ``EmulatedCharger``, told to a central system.

The physical session (when the car charges, how fast, when it is full or
faults) is the emulated charger's; each of its reports is told to the central
system by a ``ConnectorVoice`` (``sim/ocpp_voice.py``, which lists the
messages each report becomes in OCPP 1.6J and 2.0.1), the same voice the
stand-alone ``baytwin charger`` speaks with.

The truth engine still gets the physical reports directly; what the site
observes comes back from the central system (in-process link), so the twin
judges exactly what the central system understood.
"""

from __future__ import annotations

from typing import Callable

import simpy

from baytwin.core.events import Event
from baytwin.sim.chargers import EmulatedCharger, PluggedVehicle, SessionOutcome
from baytwin.sim.ocpp_link import OcppLink
from baytwin.sim.ocpp_voice import ConnectorVoice, boot


class OcppCharger:
    """A ChargerPort whose session reports travel as OCPP messages over ``link``."""

    def __init__(self, inner_factory: Callable[..., EmulatedCharger], link: OcppLink, station: str, protocol: str,
                 truth: Callable[[Event], None], observed: Callable[[Event], None] | None = None) -> None:
        self.link, self.station, self.protocol = link, station, protocol
        self.truth, self.observed = truth, observed  # observed: only for links whose central system is elsewhere
        self.inner = inner_factory(emit=self._report, authorize=self._authorize)
        self.voice = ConnectorVoice(link, station, protocol)
        link.connect(station, protocol)
        boot(link, station, protocol)

    # --- ChargerPort --------------------------------------------------------------------------------

    @property
    def charging_done(self) -> simpy.Event:
        return self.inner.charging_done

    @property
    def is_charging(self) -> bool:
        return self.inner.is_charging

    def plug_in(self, vehicle: PluggedVehicle) -> SessionOutcome | None:
        return self.inner.plug_in(vehicle)

    def unplug(self) -> None:
        self.inner.unplug()

    # --- what the charger tells the central system ------------------------------------------------------

    def _authorize(self, id_token: str | None, plate: str | None, now: float) -> bool:
        return self.voice.authorize(id_token or f"PLATE-{plate}")

    def _report(self, event: Event) -> None:
        self.truth(event)
        if self.observed is not None:
            self.observed(event)
        self.voice.report(event)
