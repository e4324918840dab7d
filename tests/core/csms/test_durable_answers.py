"""A charger's message is acknowledged only once it is in the store; ids are never reused; bad readings
are refused without losing the transaction. A real store, a real server, real OCPP-J frames."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import websockets
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from sqlalchemy import select

from baytwin.core.clock import ManualClock
from baytwin.core.csms.config import CsmsConfig
from baytwin.core.csms.server import CsmsServer
from baytwin.core.csms.service import open_sessions, persistent_central_system
from baytwin.core.privacy import Keys, generate_key
from baytwin.core.store import schema
from baytwin.core.store.database import connect
from baytwin.core.store.log import EventLog

from .conftest import T0, charger, run

CONFIG = CsmsConfig(site_id="s", stations={"CP1": {"evses": {1: "B1"}}, "CP2": {"evses": {1: "B2"}}},
                    accept_unknown_tokens=True)
KEY = generate_key()


def _log(path: Path) -> EventLog:
    return EventLog(connect(f"sqlite:///{path}"), Keys.from_text(KEY, "test"))


def _stored_kinds(log: EventLog) -> list[str]:
    with log.engine.connect() as conn:
        return list(conn.execute(select(schema.event_log.c.kind).order_by(schema.event_log.c.id)).scalars())


async def _serve(log: EventLog) -> tuple[CsmsServer, int]:
    server = CsmsServer(persistent_central_system(CONFIG, log), ManualClock(T0), response_timeout=5)
    return server, await server.start("127.0.0.1", 0)


async def _cycle(url: str) -> int:
    async with charger(url) as cp:
        start = await cp.call(call16.StartTransaction(connector_id=1, id_tag="TAG", meter_start=0,
                                                      timestamp="2024-05-29T08:00:00Z"))
        await cp.call(call16.StopTransaction(meter_stop=1000, timestamp="2024-05-29T09:00:00Z",
                                             transaction_id=start.transaction_id))
        return int(start.transaction_id)


def test_transaction_ids_are_never_reused_after_closed_sessions_and_a_restart(tmp_path: Path) -> None:
    async def scenario() -> None:
        issued = []
        for _ in range(3):  # three processes, one after the other, on the same store
            server, port = await _serve(_log(tmp_path / "store.db"))
            issued.append(await _cycle(f"ws://127.0.0.1:{port}/CP1"))
            issued.append(await _cycle(f"ws://127.0.0.1:{port}/CP2"))
            await server.stop()
        assert len(set(issued)) == len(issued), issued
        log = _log(tmp_path / "store.db")
        with log.engine.connect() as conn:
            sessions = conn.execute(select(schema.sessions)).mappings().all()
        assert len(sessions) == 6 and all(row["ended_at"] > row["started_at"] for row in sessions)

    run(scenario())


def test_a_non_finite_meter_value_is_refused_and_the_transaction_still_stops(tmp_path: Path) -> None:
    log = _log(tmp_path / "store.db")

    async def scenario() -> None:
        server, port = await _serve(log)
        url = f"ws://127.0.0.1:{port}/CP1"
        async with websockets.connect(url, subprotocols=["ocpp1.6"]) as ws:
            await ws.send(json.dumps([2, "s1", "StartTransaction", {"connectorId": 1, "idTag": "TAG", "meterStart": 10,
                                                                    "timestamp": "2024-05-29T08:00:00Z"}]))
            tx = json.loads(await ws.recv())[2]["transactionId"]
            for n, value in enumerate(("NaN", "1e400", "-5")):  # a string the schema allows, then raw JSON numbers
                raw = (f'[2, "m{n}", "MeterValues", {{"connectorId": 1, "transactionId": {tx}, "meterValue": '
                       f'[{{"timestamp": "2024-05-29T08:10:00Z", "sampledValue": [{{"value": "{value}"}}]}}]}}]')
                await ws.send(raw)
                answer = json.loads(await ws.recv())
                assert answer[0] == 4 and answer[2] == "PropertyConstraintViolation", answer
            await ws.send(json.dumps([2, "e1", "StopTransaction", {
                "meterStop": 4010, "timestamp": "2024-05-29T09:00:00Z", "transactionId": tx,
                "transactionData": [{"timestamp": "2024-05-29T08:30:00Z",
                                     "sampledValue": [{"value": "inf"}]}]}]))
            assert json.loads(await ws.recv())[0] == 3
        await server.stop()

    run(scenario())
    assert open_sessions(log, "s") == []
    with log.engine.connect() as conn:
        energy = conn.execute(select(schema.sessions.c.energy_kwh)).scalar_one()
    assert energy == 4.0


def test_a_stop_that_cannot_be_stored_is_not_acknowledged_and_its_retry_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    log = _log(path)

    def break_store(broken: bool) -> None:  # another hand on the same database file: a real failure
        with sqlite3.connect(path) as db:
            db.execute("ALTER TABLE sessions RENAME TO sessions_away" if broken else
                       "ALTER TABLE sessions_away RENAME TO sessions")

    async def scenario() -> None:
        server, port = await _serve(log)
        async with charger(f"ws://127.0.0.1:{port}/CP1") as cp:
            start = await cp.call(call16.StartTransaction(connector_id=1, id_tag="TAG", meter_start=0,
                                                          timestamp="2024-05-29T08:00:00Z"))
            stop = call16.StopTransaction(meter_stop=2000, timestamp="2024-05-29T09:00:00Z",
                                          transaction_id=start.transaction_id)
            break_store(True)
            assert await cp.call(stop) is None  # a CALLERROR (InternalError), not an acknowledgement
            assert server.central.open_transactions(), "the transaction left memory though its stop is not stored"
            break_store(False)
            assert isinstance(await cp.call(stop), result16.StopTransaction)
        await server.stop()

    run(scenario())
    assert open_sessions(log, "s") == []
    assert [k for k in _stored_kinds(log) if k.startswith("session_")] == ["session_started", "session_ended"]


def test_a_charger_that_drops_off_or_faults_makes_its_bays_unavailable_until_it_is_back() -> None:
    from baytwin.core.csms.central import CentralSystem
    from baytwin.core.events import ChargerAvailable, ChargerUnavailable

    events: list = []
    central = CentralSystem(CONFIG, events.extend)
    central.not_yet_connected(0.0)
    assert central.unavailable_bays() == {"B1": "not_connected", "B2": "not_connected"}
    central.connected("CP1", "ocpp1.6", 1.0)
    central.status("CP1", 1, "Faulted", "GroundFailure", 2.0)
    central.status("CP1", 1, "Available", None, 3.0)
    central.disconnected("CP1", 4.0)
    central.disconnected("CP1", 5.0)  # told twice, said once
    assert [(type(e).__name__, e.bay, getattr(e, "reason", None), e.ts) for e in events] == [
        ("ChargerUnavailable", "B1", "not_connected", 0.0), ("ChargerUnavailable", "B2", "not_connected", 0.0),
        ("ChargerAvailable", "B1", None, 1.0), ("ChargerUnavailable", "B1", "faulted", 2.0),
        ("ChargerAvailable", "B1", None, 3.0), ("ChargerUnavailable", "B1", "offline", 4.0)]
    assert all(isinstance(e, (ChargerAvailable, ChargerUnavailable)) for e in events)
