"""What one charger connector says to a central system: session reports as OCPP 1.6J or 2.0.1 messages.

Both kinds of emulated charger speak through this: the twin's (``OcppCharger``, one connector whose
session a SimPy process runs) and the stand-alone charge point ``baytwin charger`` (several EVSEs,
driven by a script, a prompt or the central system's commands). So a session reads the same on the
wire whichever drives it, and the central system is tested by the very frames the twin sends.

A report is one of the core's session events; each becomes the messages a real charger of that
protocol version sends:

================  =============================================  ==================================================
report            OCPP 1.6J                                      OCPP 2.0.1
================  =============================================  ==================================================
started           StatusNotification Preparing,                  TransactionEvent Started
                  StartTransaction                               (CablePluggedIn, Authorized or RemoteStart)
charging, meter   StatusNotification Charging, MeterValues       TransactionEvent Updated (Charging, meter values)
suspended         StatusNotification SuspendedEV / SuspendedEVSE TransactionEvent Updated (SuspendedEV / SuspendedEVSE)
fault             StatusNotification Faulted                     StatusNotification Faulted
ended             StopTransaction (its reason), then Available   TransactionEvent Ended (stoppedReason)
                  when unplugged, Finishing while plugged
================  =============================================  ==================================================
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from baytwin.core.events import Event, SessionActive, SessionEnded, SessionFaulted, SessionStarted, SessionSuspended
from baytwin.sim.ocpp_link import OcppLink, OcppRefused

#: OCPP 1.6 ChargePointErrorCode values; anything else is sent as OtherError.
ERROR_CODES_16 = ("ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature", "InternalError",
                  "LocalListConflict", "NoError", "OtherError", "OverCurrentFailure", "PowerMeterFailure",
                  "PowerSwitchFailure", "ReaderFailure", "ResetFailure", "UnderVoltage", "OverVoltage", "WeakSignal")

# the core's session-end reasons as each version's stop reason (and 2.0.1's trigger)
_STOP_16 = {"ev_disconnected": "EVDisconnected", "local": "Local", "remote": "Remote", "reboot": "Reboot",
            "soft_reset": "SoftReset", "hard_reset": "HardReset", "unlock": "UnlockCommand",
            "deauthorized": "DeAuthorized", "power_loss": "PowerLoss", "emergency_stop": "EmergencyStop"}
_STOP_201 = {"ev_disconnected": ("EVDisconnected", "EVCommunicationLost"), "local": ("Local", "StopAuthorized"),
             "remote": ("Remote", "RemoteStop"), "reboot": ("Reboot", "ResetCommand"),
             "soft_reset": ("Reboot", "ResetCommand"), "hard_reset": ("ImmediateReset", "ResetCommand"),
             "unlock": ("Other", "UnlockCommand"), "deauthorized": ("DeAuthorized", "Deauthorized"),
             "power_loss": ("PowerLoss", "AbnormalCondition"), "emergency_stop": ("EmergencyStop", "AbnormalCondition")}
# 1.6 connector statuses as 2.0.1's connectorStatus
_CONNECTOR_201 = {"Preparing": "Occupied", "Charging": "Occupied", "SuspendedEV": "Occupied", "SuspendedEVSE": "Occupied",
                  "Finishing": "Occupied", "Available": "Available", "Unavailable": "Unavailable", "Faulted": "Faulted",
                  "Reserved": "Reserved"}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")


def boot(link: OcppLink, station: str, protocol: str) -> dict[str, Any]:
    """Announce the charger; returns the answer (its ``interval`` is the heartbeat). A central system that
    rejects it would take none of its messages (OCPP: a rejected charger only retries the boot), so a
    rejection is a RuntimeError with one line, not a failure sessions later."""
    if protocol == "ocpp1.6":
        payload: dict[str, Any] = {"chargePointVendor": "baytwin", "chargePointModel": "emulated"}
    else:
        payload = {"chargingStation": {"vendorName": "baytwin", "model": "emulated"}, "reason": "PowerUp"}
    answer = call(link, station, "BootNotification", payload)
    if answer.get("status") == "Rejected":
        raise RuntimeError(f"central system rejected charger {station} (BootNotification: Rejected)")
    return answer


def call(link: OcppLink, station: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """One CALL; a CALLERROR is a RuntimeError naming the station and the action."""
    try:
        return link.call(station, action, payload)
    except OcppRefused as err:
        raise RuntimeError(f"central system refused {station}'s {err}") from None


class ConnectorVoice:
    """One connector (1.6) or EVSE (2.0.1) of a charger: its session reports, told over ``link``."""

    def __init__(self, link: OcppLink, station: str, protocol: str, evse: int = 1) -> None:
        self.link, self.station, self.protocol, self.evse = link, station, protocol, evse
        self.register_wh = 0.0  # the connector's energy register, across sessions
        self.session_start_wh = 0.0
        self.transaction: str | None = None  # the open transaction's id as the central system knows it
        self.last_status: str | None = None
        self._seq = 0
        self._charging = False

    def authorize(self, token: str) -> bool:
        if self.protocol == "ocpp1.6":
            answer = self._call("Authorize", {"idTag": token[:20]})
            return answer.get("idTagInfo", {}).get("status") == "Accepted"
        answer = self._call("Authorize", {"idToken": {"idToken": token[:36], "type": "ISO14443"}})
        return answer.get("idTokenInfo", {}).get("status") == "Accepted"

    def report(self, event: Event, trigger: str | None = None, remote_start_id: int | None = None) -> None:
        """Tell the central system ``event`` (a session event of this connector). ``trigger`` and
        ``remote_start_id`` say why a 2.0.1 transaction started (default: the cable was plugged in)."""
        when = iso(event.ts)
        if isinstance(event, SessionStarted):
            self._started(event, when, trigger or "CablePluggedIn", remote_start_id)
        elif isinstance(event, SessionActive):
            self._active(event, when)
        elif isinstance(event, SessionSuspended):
            self._charging = False
            self._state("SuspendedEV" if event.by == "ev" else "SuspendedEVSE", when)
        elif isinstance(event, SessionFaulted):
            self._charging = False
            self.status("Faulted", when, error=event.fault if event.fault in ERROR_CODES_16 else "OtherError")
        elif isinstance(event, SessionEnded):
            self._ended(event, when)

    def status(self, status: str, when: str, error: str = "NoError") -> None:
        """A StatusNotification in 1.6's vocabulary (mapped onto 2.0.1's connector statuses)."""
        self.last_status = status
        if self.protocol == "ocpp1.6":
            self._call("StatusNotification", {"connectorId": self.evse, "errorCode": error, "status": status,
                                              "timestamp": when})
        else:
            self._call("StatusNotification", {"timestamp": when, "connectorStatus": _CONNECTOR_201.get(status, status),
                                              "evseId": self.evse, "connectorId": 1})

    def meter_values(self, current_a: float | None, when: str) -> None:
        """The register (and current) outside the session's own reports, e.g. when the central system asks."""
        if self.protocol == "ocpp1.6":
            payload: dict[str, Any] = {"connectorId": self.evse, "meterValue": [self._meter_value(current_a, when)]}
            if self.transaction is not None:
                payload["transactionId"] = int(self.transaction)
            self._call("MeterValues", payload)
        elif self.transaction is not None:
            self._transaction_event("Updated", "Trigger", None, when, current=current_a)
        else:
            self._call("MeterValues", {"evseId": self.evse, "meterValue": [self._meter_value(current_a, when)]})

    # --- the session ----------------------------------------------------------------------------------

    def _started(self, event: SessionStarted, when: str, trigger: str, remote_start_id: int | None) -> None:
        self.session_start_wh = self.register_wh
        self._charging = False
        token = (event.id_token or f"PLATE-{event.session_id}")
        if self.protocol == "ocpp1.6":
            if self.last_status != "Preparing":
                self.status("Preparing", when)
            answer = self._call("StartTransaction", {"connectorId": self.evse, "idTag": token[:20],
                                                     "meterStart": int(self.register_wh), "timestamp": when})
            self.transaction = str(answer["transactionId"])
        else:
            self.transaction, self._seq = event.session_id, 0
            self._transaction_event("Started", trigger, "EVConnected", when, token=token, remote_start_id=remote_start_id)

    def _active(self, event: SessionActive, when: str) -> None:
        self.register_wh = self.session_start_wh + event.energy_kwh * 1000.0
        if self.protocol == "ocpp1.6":
            if not self._charging:
                self.status("Charging", when)
            self._call("MeterValues", {"connectorId": self.evse, "transactionId": int(self.transaction or 0),
                                       "meterValue": [self._meter_value(event.current_a, when)]})
        else:
            trigger = "MeterValuePeriodic" if self._charging else "ChargingStateChanged"
            self._transaction_event("Updated", trigger, "Charging", when, current=event.current_a)
        self._charging = True

    def _state(self, state: str, when: str) -> None:
        if self.protocol == "ocpp1.6":
            self.status(state, when)
        else:
            self._transaction_event("Updated", "ChargingStateChanged", state, when)

    def _ended(self, event: SessionEnded, when: str) -> None:
        """The stop, with its reason; a 1.6 connector then reads Available if the cable came out (the car
        left), Finishing while it is still in (stopped by the driver, remotely, by a reset)."""
        self.register_wh = self.session_start_wh + event.energy_kwh * 1000.0
        if self.protocol == "ocpp1.6":
            self._call("StopTransaction", {"meterStop": int(self.register_wh), "timestamp": when,
                                           "transactionId": int(self.transaction or 0),
                                           "reason": _STOP_16.get(event.reason, "Other")})
            self.status("Available" if event.reason == "ev_disconnected" else "Finishing", when)
        else:
            stopped, trigger = _STOP_201.get(event.reason, ("Other", "AbnormalCondition"))
            self._transaction_event("Ended", trigger, None, when, stopped=stopped)
        self.transaction, self._charging = None, False

    # --- message helpers -----------------------------------------------------------------------------------

    def _transaction_event(self, kind: str, trigger: str, state: str | None, when: str, token: str | None = None,
                           current: float | None = None, stopped: str | None = None,
                           remote_start_id: int | None = None) -> None:
        info: dict[str, Any] = {"transactionId": self.transaction}
        if state:
            info["chargingState"] = state
        if stopped:
            info["stoppedReason"] = stopped
        if remote_start_id is not None:
            info["remoteStartId"] = remote_start_id
        payload: dict[str, Any] = {"eventType": kind, "timestamp": when, "triggerReason": trigger, "seqNo": self._seq,
                                   "transactionInfo": info, "evse": {"id": self.evse, "connectorId": 1},
                                   "meterValue": [self._meter_value(current, when)]}
        if token:
            payload["idToken"] = {"idToken": token[:36], "type": "ISO14443"}
        self._seq += 1
        self._call("TransactionEvent", payload)

    def _meter_value(self, current_a: float | None, when: str) -> dict[str, Any]:
        sampled: list[dict[str, Any]] = [{"value": round(self.register_wh, 1) if self.protocol != "ocpp1.6"
                                          else f"{self.register_wh:.1f}",
                                          "measurand": "Energy.Active.Import.Register"}]
        if current_a is not None:
            sampled.append({"value": round(current_a, 2) if self.protocol != "ocpp1.6" else f"{current_a:.2f}",
                            "measurand": "Current.Import"})
        if self.protocol == "ocpp1.6":
            for value in sampled:
                value["unit"] = "Wh" if value["measurand"].startswith("Energy") else "A"
        return {"timestamp": when, "sampledValue": sampled}

    def _call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return call(self.link, self.station, action, payload)
