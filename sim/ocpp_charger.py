"""An emulated charger that speaks OCPP: the same session as ``EmulatedCharger``, told to a central system.

The physical session (when the car charges, how fast, when it is full or
faults) is the emulated charger's; this wrapper turns each of its reports
into the messages a real charger of that protocol version sends:

================  =============================================  ==================================================
report            OCPP 1.6J                                      OCPP 2.0.1
================  =============================================  ==================================================
plug-in           Authorize, StatusNotification Preparing,       Authorize, TransactionEvent Started
                  StartTransaction                               (CablePluggedIn, EVConnected)
charging, meter   StatusNotification Charging, MeterValues       TransactionEvent Updated (Charging, meter values)
full (by the EV)  StatusNotification SuspendedEV                 TransactionEvent Updated (SuspendedEV)
fault             StatusNotification Faulted                     StatusNotification Faulted
unplug            StopTransaction, StatusNotification Available  TransactionEvent Ended (EVDisconnected)
================  =============================================  ==================================================

The truth engine still gets the physical reports directly; what the site
observes comes back from the central system (in-process link), so the twin
judges exactly what the central system understood.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

import simpy

from core.events import Event, SessionActive, SessionEnded, SessionFaulted, SessionStarted, SessionSuspended
from sim.chargers import EmulatedCharger, PluggedVehicle, SessionOutcome
from sim.ocpp_link import OcppLink, OcppRefused


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")


class OcppCharger:
    """A ChargerPort whose session reports travel as OCPP messages over ``link``."""

    def __init__(self, inner_factory: Callable[..., EmulatedCharger], link: OcppLink, station: str, protocol: str,
                 truth: Callable[[Event], None], observed: Callable[[Event], None] | None = None) -> None:
        self.link, self.station, self.protocol = link, station, protocol
        self.truth, self.observed = truth, observed  # observed: only for links whose central system is elsewhere
        self.inner = inner_factory(emit=self._report, authorize=self._authorize)
        self._register_wh = 0.0  # the charger's energy register, across sessions
        self._session_start_wh = 0.0
        self._transaction: str | None = None
        self._seq = 0
        self._charging = False
        link.connect(station, protocol)
        self._boot()

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

    def _boot(self) -> None:
        """Announce the charger. A central system that rejects it would take none of its messages (OCPP: a
        rejected charger only retries the boot), so the run stops here with one line, not sessions later."""
        if self.protocol == "ocpp1.6":
            answer = self._call("BootNotification", {"chargePointVendor": "baytwin", "chargePointModel": "emulated"})
        else:
            answer = self._call("BootNotification", {"chargingStation": {"vendorName": "baytwin", "model": "emulated"},
                                                     "reason": "PowerUp"})
        if answer.get("status") == "Rejected":
            raise RuntimeError(f"central system rejected charger {self.station} (BootNotification: Rejected)")

    def _authorize(self, id_token: str | None, plate: str | None, now: float) -> bool:
        token = id_token or f"PLATE-{plate}"
        if self.protocol == "ocpp1.6":
            answer = self._call("Authorize", {"idTag": token[:20]})
            return answer.get("idTagInfo", {}).get("status") == "Accepted"
        answer = self._call("Authorize", {"idToken": {"idToken": token[:36], "type": "ISO14443"}})
        return answer.get("idTokenInfo", {}).get("status") == "Accepted"

    def _report(self, event: Event) -> None:
        self.truth(event)
        if self.observed is not None:
            self.observed(event)
        when = _iso(event.ts)
        if isinstance(event, SessionStarted):
            self._started(event, when)
        elif isinstance(event, SessionActive):
            self._active(event, when)
        elif isinstance(event, SessionSuspended):
            self._charging = False
            self._state("SuspendedEV" if event.by == "ev" else "SuspendedEVSE", event, when)
        elif isinstance(event, SessionFaulted):
            self._charging = False
            self._status("Faulted", when, error="GroundFailure")
        elif isinstance(event, SessionEnded):
            self._ended(event, when)

    def _started(self, event: SessionStarted, when: str) -> None:
        self._session_start_wh = self._register_wh
        self._charging = False
        token = (event.id_token or f"PLATE-{event.session_id}")
        if self.protocol == "ocpp1.6":
            self._status("Preparing", when)
            answer = self._call("StartTransaction", {"connectorId": 1, "idTag": token[:20],
                                                     "meterStart": int(self._register_wh), "timestamp": when})
            self._transaction = str(answer["transactionId"])
        else:
            self._transaction, self._seq = event.session_id, 0
            self._transaction_event("Started", "CablePluggedIn", "EVConnected", when, token=token)

    def _active(self, event: SessionActive, when: str) -> None:
        self._register_wh = self._session_start_wh + event.energy_kwh * 1000.0
        if self.protocol == "ocpp1.6":
            if not self._charging:
                self._status("Charging", when)
            self._call("MeterValues", {"connectorId": 1, "transactionId": int(self._transaction or 0),
                                       "meterValue": [self._meter_value(event.current_a, when)]})
        else:
            trigger = "MeterValuePeriodic" if self._charging else "ChargingStateChanged"
            self._transaction_event("Updated", trigger, "Charging", when, current=event.current_a)
        self._charging = True

    def _state(self, state: str, event: Event, when: str) -> None:
        if self.protocol == "ocpp1.6":
            self._status(state, when)
        else:
            self._transaction_event("Updated", "ChargingStateChanged", state, when)

    def _ended(self, event: SessionEnded, when: str) -> None:
        self._register_wh = self._session_start_wh + event.energy_kwh * 1000.0
        if self.protocol == "ocpp1.6":
            self._call("StopTransaction", {"meterStop": int(self._register_wh), "timestamp": when,
                                           "transactionId": int(self._transaction or 0), "reason": "EVDisconnected"})
            self._status("Available", when)
        else:
            self._transaction_event("Ended", "EVCommunicationLost", None, when, stopped="EVDisconnected")
        self._transaction, self._charging = None, False

    # --- message helpers -----------------------------------------------------------------------------------

    def _status(self, status: str, when: str, error: str = "NoError") -> None:
        if self.protocol == "ocpp1.6":
            self._call("StatusNotification", {"connectorId": 1, "errorCode": error, "status": status, "timestamp": when})
        else:
            connector = {"Preparing": "Occupied", "Charging": "Occupied", "Available": "Available"}.get(status, status)
            self._call("StatusNotification", {"timestamp": when, "connectorStatus": connector, "evseId": 1,
                                              "connectorId": 1})

    def _transaction_event(self, kind: str, trigger: str, state: str | None, when: str, token: str | None = None,
                           current: float | None = None, stopped: str | None = None) -> None:
        info: dict[str, Any] = {"transactionId": self._transaction}
        if state:
            info["chargingState"] = state
        if stopped:
            info["stoppedReason"] = stopped
        payload: dict[str, Any] = {"eventType": kind, "timestamp": when, "triggerReason": trigger, "seqNo": self._seq,
                                   "transactionInfo": info, "evse": {"id": 1, "connectorId": 1},
                                   "meterValue": [self._meter_value(current, when)]}
        if token:
            payload["idToken"] = {"idToken": token[:36], "type": "ISO14443"}
        self._seq += 1
        self._call("TransactionEvent", payload)

    def _meter_value(self, current_a: float | None, when: str) -> dict[str, Any]:
        sampled: list[dict[str, Any]] = [{"value": round(self._register_wh, 1) if self.protocol != "ocpp1.6"
                                          else f"{self._register_wh:.1f}",
                                          "measurand": "Energy.Active.Import.Register"}]
        if current_a is not None:
            sampled.append({"value": round(current_a, 2) if self.protocol != "ocpp1.6" else f"{current_a:.2f}",
                            "measurand": "Current.Import"})
        if self.protocol == "ocpp1.6":
            for value in sampled:
                value["unit"] = "Wh" if value["measurand"].startswith("Energy") else "A"
        return {"timestamp": when, "sampledValue": sampled}

    def _call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.link.call(self.station, action, payload)
        except OcppRefused as err:
            raise RuntimeError(f"central system refused {self.station}'s {err}") from None
