"""OCPP 2.0.1: a charger's messages as calls on the central system, and the commands it can be sent.

In 2.0.1 one message, TransactionEvent (Started / Updated / Ended), carries
the transaction's life: its chargingState (Charging, EVConnected,
SuspendedEV, SuspendedEVSE, Idle), meter values, and trigger reasons. Two of
those are about the bay rather than the charge: EVDetected and EVDeparted
(a transaction stopped because the bay emptied, TxStopPoint
ParkingBayOccupancy, OCTT TC_E_19_CSMS) come from a parking-bay occupancy sensor, and feed the core's occupancy events. A bay
sensor can also report through NotifyEvent (component BayOccupancySensor,
variable Active). The charger numbers its own transactions; seqNo makes a
replayed event recognisable.
"""

from __future__ import annotations

from typing import Any

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

from baytwin.core.csms.central import Command
from baytwin.core.csms.meter import Reading, readings
from baytwin.core.csms.station import StationMixin

_TRIGGERS = {"BootNotification", "Heartbeat", "MeterValues", "StatusNotification", "TransactionEvent",
             "LogStatusNotification", "FirmwareStatusNotification", "SignChargingStationCertificate"}


class Station201(StationMixin, ChargePoint):
    subprotocol = "ocpp2.0.1"
    actions = frozenset(a.value for a in Action)

    @on(Action.boot_notification)
    def on_boot(self, charging_station: dict[str, Any], reason: str, **_: Any) -> call_result.BootNotification:
        accepted = self.central.boot(self.id, charging_station.get("vendor_name", ""),
                                     charging_station.get("model", ""), self.clock.now())
        return call_result.BootNotification(current_time=self.now_iso(),
                                            interval=self.central.config.heartbeat_interval_s,
                                            status="Accepted" if accepted else "Rejected")

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        self.central.heartbeat(self.id, self.clock.now())
        return call_result.Heartbeat(current_time=self.now_iso())

    @on(Action.status_notification)
    def on_status(self, timestamp: str, connector_status: str, evse_id: int, connector_id: int,
                  **_: Any) -> call_result.StatusNotification:
        self.central.status(self.id, evse_id, connector_status, None, self.when(timestamp))
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_token: dict[str, Any], **_: Any) -> call_result.Authorize:
        status = self.central.authorize(id_token.get("id_token"), self.clock.now())
        return call_result.Authorize(id_token_info={"status": status})

    @on(Action.transaction_event)
    def on_transaction_event(self, event_type: str, timestamp: str, trigger_reason: str, seq_no: int,
                             transaction_info: dict[str, Any], evse: dict[str, Any] | None = None,
                             id_token: dict[str, Any] | None = None, meter_value: list[dict[str, Any]] | None = None,
                             **_: Any) -> call_result.TransactionEvent:
        now = self.when(timestamp)
        checked = readings(meter_value, self.id, drop_invalid=event_type == "Ended")  # before anything changes
        tx_id = str(transaction_info["transaction_id"])
        known = self.central.transactions.get((self.id, tx_id))
        evse_id = int(evse["id"]) if evse else (known.evse if known else 1)
        token = id_token.get("id_token") if id_token else None
        answer = call_result.TransactionEvent(id_token_info={"status": self.central.authorize(token, now)} if token else None)
        if self.central.seen_sequence(self.id, tx_id, seq_no):
            return answer  # a replay (same seqNo): answered, not handled twice
        commands: list[Command] = []
        if trigger_reason == "EVDetected":
            commands += self.central.bay_occupancy(self.id, evse_id, True, now)
        if event_type == "Started":
            self.central.start_transaction(self.id, evse_id, token, _energy_wh(checked) or 0.0, now, tx_id)
            self.central.seen_sequence(self.id, tx_id, seq_no)
        for energy, current, at in checked:
            self.central.meter(self.id, evse_id, tx_id, energy, current, self.when(at))
        state = transaction_info.get("charging_state")
        if state and event_type != "Ended":
            self.central.charging_state(self.id, evse_id, tx_id, state, now)
        if event_type == "Ended":
            # a transaction ended because the bay emptied (TxStopPoint ParkingBayOccupancy) says so by its trigger
            reason = "EVDeparted" if trigger_reason == "EVDeparted" else transaction_info.get("stopped_reason")
            self.central.end_transaction(self.id, tx_id, _energy_wh(checked), now, reason)
        if trigger_reason == "EVDeparted" or transaction_info.get("stopped_reason") == "ParkingBayUnoccupied":
            commands += self.central.bay_occupancy(self.id, evse_id, False, now)
        self.send_later(commands)
        return answer

    @on(Action.meter_values)
    def on_meter_values(self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any) -> call_result.MeterValues:
        for energy, current, at in readings(meter_value, self.id, drop_invalid=False):
            self.central.meter(self.id, evse_id, None, energy, current, self.when(at))
        return call_result.MeterValues()

    @on(Action.notify_event)
    def on_notify_event(self, generated_at: str, seq_no: int, event_data: list[dict[str, Any]],
                        **_: Any) -> call_result.NotifyEvent:
        commands: list[Command] = []
        for item in event_data:
            component, variable = item.get("component", {}), item.get("variable", {})
            if component.get("name") == "BayOccupancySensor" and variable.get("name") == "Active":
                evse_id = int((component.get("evse") or {}).get("id", 1))
                occupied = str(item.get("actual_value", "")).lower() == "true"
                commands += self.central.bay_occupancy(self.id, evse_id, occupied, self.when(item.get("timestamp")))
        self.send_later(commands)
        return call_result.NotifyEvent()

    # --- commands ---------------------------------------------------------------------------------------

    async def execute(self, command: Command) -> str:
        """Send ``command``; returns the charger's status answer."""
        if command.action == "start":
            self._remote_start_id = getattr(self, "_remote_start_id", 0) + 1
            result = await self.call(call.RequestStartTransaction(
                id_token={"idToken": command.id_token or "", "type": "Central"},
                remote_start_id=self._remote_start_id, evse_id=command.evse))
        elif command.action == "stop":
            result = await self.call(call.RequestStopTransaction(transaction_id=command.transaction_id or ""))
        elif command.action == "availability":
            result = await self.call(call.ChangeAvailability(
                operational_status="Operative" if command.operative else "Inoperative",
                evse={"id": command.evse} if command.evse else None))
        elif command.action == "unlock":
            result = await self.call(call.UnlockConnector(evse_id=command.evse or 1, connector_id=1))
        elif command.action == "reset":
            result = await self.call(call.Reset(type=command.message or "OnIdle"))
        elif command.action == "trigger":
            if command.message not in _TRIGGERS:
                raise ValueError(f"cannot trigger {command.message!r} in OCPP 2.0.1")
            result = await self.call(call.TriggerMessage(requested_message=command.message,
                                                         evse={"id": command.evse} if command.evse else None))
        else:
            raise ValueError(f"unknown command {command.action!r}")
        return str(getattr(result, "status", "")) if result is not None else "CallError"

    async def get_variables(self, names: list[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        """(component, variable) -> value."""
        result = await self.call(call.GetVariables(get_variable_data=[
            {"component": {"name": c}, "variable": {"name": v}} for c, v in names]))
        out: dict[tuple[str, str], str | None] = {}
        for item in (result.get_variable_result if result else []):
            out[(item["component"]["name"], item["variable"]["name"])] = item.get("attribute_value")
        return out

    async def set_variable(self, component: str, variable: str, value: str) -> str:
        result = await self.call(call.SetVariables(set_variable_data=[
            {"attributeValue": value, "component": {"name": component}, "variable": {"name": variable}}]))
        return str(result.set_variable_result[0]["attribute_status"]) if result else "CallError"


def _energy_wh(checked: list[Reading]) -> float | None:
    """The last energy register reading of a message's (checked) meter values."""
    energy = None
    for value, _, _ in checked:
        energy = value if value is not None else energy
    return energy
