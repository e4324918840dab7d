"""Charging sessions over real OCPP-J websockets, in both protocol versions, become the core's session events."""

from __future__ import annotations

import asyncio

from ocpp.routing import on
from ocpp.v16 import ChargePoint as Client16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as Client201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from baytwin.core.events import SessionActive, SessionEnded, SessionStarted, SessionSuspended, VehicleArrived, VehicleLeft

from .conftest import charger, csms, run


def test_a_16_session_maps_onto_session_events() -> None:
    async def scenario() -> None:
        async with csms() as site, charger(site.url("CP1")) as cp:
            boot = await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            assert boot.status == "Accepted"
            assert (await cp.call(call16.Authorize(id_tag="TAG1"))).id_tag_info["status"] == "Accepted"
            start = await cp.call(call16.StartTransaction(connector_id=1, id_tag="TAG1", meter_start=1000,
                                                          timestamp="2024-05-29T08:00:00Z"))
            tx = start.transaction_id
            await cp.call(call16.MeterValues(connector_id=1, transaction_id=tx, meter_value=[{
                "timestamp": "2024-05-29T08:15:00Z", "sampledValue": [
                    {"value": "2.85", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                    {"value": "16.0", "measurand": "Current.Import", "unit": "A"}]}]))
            await cp.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="SuspendedEV",
                                                    timestamp="2024-05-29T09:00:00Z"))
            await cp.call(call16.StopTransaction(meter_stop=5000, timestamp="2024-05-29T10:00:00Z", transaction_id=tx,
                                                 reason="EVDisconnected"))
            started, active, suspended, ended = site.events
            assert isinstance(started, SessionStarted) and started.bay == "B1" and started.id_token == "TAG1"
            assert started.session_id == f"CP1/{tx}"
            assert isinstance(active, SessionActive) and active.energy_kwh == 1.85 and active.current_a == 16.0
            assert isinstance(suspended, SessionSuspended) and suspended.by == "ev"
            assert isinstance(ended, SessionEnded) and ended.energy_kwh == 4.0 and ended.reason == "ev_disconnected"
            assert ended.ts - started.ts == 7200.0  # the messages' own timestamps
            assert site.central.open_transactions() == []

    run(scenario())


def _tx_event(event_type: str, seq: int, trigger: str, state: str | None = None, energy: float | None = None,
              stopped: str | None = None, token: str | None = None, time: str = "2024-05-29T08:00:00Z"):  # type: ignore[no-untyped-def]
    info = {"transactionId": "T-77"}
    if state:
        info["chargingState"] = state
    if stopped:
        info["stoppedReason"] = stopped
    kwargs = {}
    if energy is not None:
        kwargs["meter_value"] = [{"timestamp": time, "sampledValue": [
            {"value": energy, "measurand": "Energy.Active.Import.Register"},
            {"value": 12.5, "measurand": "Current.Import"}]}]
    if token:
        kwargs["id_token"] = {"idToken": token, "type": "ISO14443"}
    return call201.TransactionEvent(event_type=event_type, timestamp=time, trigger_reason=trigger, seq_no=seq,
                                    transaction_info=info, evse={"id": 2, "connectorId": 1}, **kwargs)


def test_a_201_session_with_bay_sensor_triggers_maps_onto_the_same_events() -> None:
    async def scenario() -> None:
        async with csms() as site, charger(site.url("CP1", "/ocpp"), "2.0.1") as cp:
            boot = await cp.call(call201.BootNotification(charging_station={"model": "M", "vendorName": "V"},
                                                          reason="PowerUp"))
            assert boot.status == "Accepted"
            await cp.call(_tx_event("Started", 0, "EVDetected", "EVConnected", 0, token="RFID9"))
            await cp.call(_tx_event("Updated", 1, "ChargingStateChanged", "Charging", 3000, time="2024-05-29T08:30:00Z"))
            await cp.call(_tx_event("Updated", 2, "ChargingStateChanged", "SuspendedEV", 9000, time="2024-05-29T10:00:00Z"))
            await cp.call(_tx_event("Ended", 3, "EVDeparted", None, 9000, stopped="Other",
                                    time="2024-05-29T12:00:00Z"))
            kinds = site.kinds()
            assert kinds[0] == "vehicle_arrived" and kinds[1] == "session_started"
            assert "session_active" in kinds and "session_suspended" in kinds
            assert kinds[-2:] == ["session_ended", "vehicle_left"]
            arrived = site.events[0]
            assert isinstance(arrived, VehicleArrived) and arrived.source == "sensor" and arrived.bay == "B2"
            ended = [e for e in site.events if isinstance(e, SessionEnded)][0]
            assert ended.reason == "bay_unoccupied" and ended.energy_kwh == 9.0 and ended.session_id == "CP1/T-77"
            assert isinstance(site.events[-1], VehicleLeft)

    run(scenario())


def test_replayed_messages_after_an_outage_do_not_duplicate_a_session() -> None:
    async def scenario() -> None:
        async with csms() as site, charger(site.url("CP1"), "2.0.1") as cp:
            started = _tx_event("Started", 0, "Authorized", "Charging", 0, token="RFID9")
            await cp.call(started)
            await cp.call(started)  # same seqNo again (queued while offline, sent twice)
            await cp.call(_tx_event("Ended", 1, "EVCommunicationLost", None, 2000, stopped="EVDisconnected"))
            await cp.call(_tx_event("Ended", 1, "EVCommunicationLost", None, 2000, stopped="EVDisconnected"))
            assert site.kinds().count("session_started") == 1
            assert site.kinds().count("session_ended") == 1
        async with csms() as site, charger(site.url("CP2")) as cp:
            request = call16.StartTransaction(connector_id=1, id_tag="TAG", meter_start=0, timestamp="2024-05-29T08:00:00Z")
            first = await cp.call(request, unique_id="same-id-1")
            again = await cp.call(request, unique_id="same-id-1")  # our answer was lost: the charger resends it
            assert first.transaction_id == again.transaction_id
            assert site.kinds().count("session_started") == 1

    run(scenario())


class _Accepting16(Client16):
    @on("RemoteStartTransaction")
    def remote_start(self, id_tag: str, connector_id: int | None = None, **_):  # type: ignore[no-untyped-def]
        self.started = (id_tag, connector_id)
        return result16.RemoteStartTransaction(status="Accepted")


class _Accepting201(Client201):
    @on("RequestStartTransaction")
    def remote_start(self, id_token, remote_start_id, evse_id=None, **_):  # type: ignore[no-untyped-def]
        self.started = (id_token["id_token"], evse_id)
        return result201.RequestStartTransaction(status="Accepted")


def test_an_accepted_plate_starts_the_charger_of_its_bay_in_either_version() -> None:
    async def scenario() -> None:
        async with csms() as site:
            async with charger(site.url("CP1"), cls=_Accepting16) as cp1, \
                    charger(site.url("CP2"), "2.0.1", cls=_Accepting201) as cp2:
                for command in site.central.plate_accepted("B2", "AB12CDE", "TOKEN-A", 0.0):
                    await site.server.send(command)
                for command in site.central.plate_accepted("B3", "XY34ZZZ", "TOKEN-B", 0.0):
                    await site.server.send(command)
                await asyncio.sleep(0.05)
                assert cp1.started == ("TOKEN-A", 2)
                assert cp2.started == ("TOKEN-B", 1)
                assert [r for _, r in site.commands] == ["Accepted", "Accepted"]

    run(scenario())
