"""OCPP 1.6J: a charger's messages as calls on the central system, and the commands it can be sent.

In 1.6 the charging state arrives as the connector's StatusNotification
(Charging, SuspendedEV, SuspendedEVSE, Faulted), energy and current as
MeterValues sampled values (Energy.Active.Import.Register in Wh or kWh,
Current.Import in A), and the central system numbers transactions.
"""

from __future__ import annotations

from typing import Any

from ocpp.exceptions import PropertyConstraintViolationError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from baytwin.core.csms.central import Command
from baytwin.core.csms.meter import readings, valid_meter
from baytwin.core.csms.station import StationMixin

_TRIGGERS = {"BootNotification", "Heartbeat", "MeterValues", "StatusNotification", "DiagnosticsStatusNotification",
             "FirmwareStatusNotification"}


class Station16(StationMixin, ChargePoint):
    subprotocol = "ocpp1.6"
    actions = frozenset(a.value for a in Action)

    @on(Action.boot_notification)
    def on_boot(self, charge_point_vendor: str, charge_point_model: str, **_: Any) -> call_result.BootNotification:
        accepted = self.central.boot(self.id, charge_point_vendor, charge_point_model, self.clock.now())
        return call_result.BootNotification(current_time=self.now_iso(),
                                            interval=self.central.config.heartbeat_interval_s,
                                            status="Accepted" if accepted else "Rejected")

    @on(Action.heartbeat)
    def on_heartbeat(self) -> call_result.Heartbeat:
        self.central.heartbeat(self.id, self.clock.now())
        return call_result.Heartbeat(current_time=self.now_iso())

    @on(Action.status_notification)
    def on_status(self, connector_id: int, error_code: str, status: str, timestamp: str | None = None,
                  **_: Any) -> call_result.StatusNotification:
        if connector_id > 0:
            self.central.status(self.id, connector_id, status, None if error_code == "NoError" else error_code,
                                self.when(timestamp))
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag: str) -> call_result.Authorize:
        return call_result.Authorize(id_tag_info={"status": self.central.authorize(id_tag, self.clock.now())})

    @on(Action.start_transaction)
    def on_start(self, connector_id: int, id_tag: str, meter_start: int, timestamp: str,
                 **_: Any) -> call_result.StartTransaction:
        now = self.when(timestamp)
        start = valid_meter(float(meter_start), self.id, "meterStart")
        if start is None:
            raise PropertyConstraintViolationError(description=f"meterStart {meter_start!r} is not a valid reading")
        status = self.central.authorize(id_tag, now)
        tx = self.central.start_transaction(self.id, connector_id, id_tag, start, now)
        return call_result.StartTransaction(transaction_id=int(tx.transaction_id), id_tag_info={"status": status})

    @on(Action.stop_transaction)
    def on_stop(self, meter_stop: int, timestamp: str, transaction_id: int, reason: str | None = None,
                transaction_data: list[dict[str, Any]] | None = None, **_: Any) -> call_result.StopTransaction:
        now = self.when(timestamp)
        for energy_wh, current_a, at in readings(transaction_data, self.id, drop_invalid=True):
            self.central.meter(self.id, 0, str(transaction_id), energy_wh, current_a, self.when(at))
        stop = valid_meter(float(meter_stop), self.id, "meterStop")
        self.central.end_transaction(self.id, str(transaction_id), stop, now, reason or "Local")
        return call_result.StopTransaction()

    @on(Action.meter_values)
    def on_meter_values(self, connector_id: int, meter_value: list[dict[str, Any]],
                        transaction_id: int | None = None) -> call_result.MeterValues:
        tx = None if transaction_id is None else str(transaction_id)
        for energy_wh, current_a, at in readings(meter_value, self.id, drop_invalid=False):
            self.central.meter(self.id, connector_id, tx, energy_wh, current_a, self.when(at))
        return call_result.MeterValues()

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        return call_result.DataTransfer(status="UnknownVendorId")

    # --- commands ---------------------------------------------------------------------------------------

    async def execute(self, command: Command) -> str:
        """Send ``command``; returns the charger's status answer."""
        if command.action == "start":
            result = await self.call(call.RemoteStartTransaction(id_tag=command.id_token or "", connector_id=command.evse))
        elif command.action == "stop":
            result = await self.call(call.RemoteStopTransaction(transaction_id=int(command.transaction_id or 0)))
        elif command.action == "availability":
            result = await self.call(call.ChangeAvailability(connector_id=command.evse or 0,
                                                             type="Operative" if command.operative else "Inoperative"))
        elif command.action == "unlock":
            result = await self.call(call.UnlockConnector(connector_id=command.evse or 1))
        elif command.action == "reset":
            result = await self.call(call.Reset(type=command.message or "Soft"))
        elif command.action == "trigger":
            if command.message not in _TRIGGERS:
                raise ValueError(f"cannot trigger {command.message!r} in OCPP 1.6")
            result = await self.call(call.TriggerMessage(requested_message=command.message, connector_id=command.evse))
        else:
            raise ValueError(f"unknown command {command.action!r}")
        return str(getattr(result, "status", "")) if result is not None else "CallError"

    async def get_configuration(self, keys: list[str] | None = None) -> dict[str, str | None]:
        result = await self.call(call.GetConfiguration(key=keys))
        return {item["key"]: item.get("value") for item in (result.configuration_key or [])} if result else {}

    async def change_configuration(self, key: str, value: str) -> str:
        result = await self.call(call.ChangeConfiguration(key=key, value=value))
        return str(result.status) if result else "CallError"
