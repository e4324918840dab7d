"""GET /health and /ready on the central system's port, asked over real HTTP while real chargers connect."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ocpp.v16 import call as call16

from baytwin.core.clock import ManualClock
from baytwin.core.csms.config import CsmsConfig
from baytwin.core.csms.health import site_report
from baytwin.core.csms.server import CsmsServer
from baytwin.core.csms.service import persistent_central_system
from baytwin.core.privacy import Keys, generate_key
from baytwin.core.store.database import connect
from baytwin.core.store.log import EventLog
from baytwin.core.store.writer import StoreWriter

from .conftest import T0, charger, csms, run


def get(port: int, path: str) -> tuple[int, dict[str, Any], str]:
    """Status, JSON body and content type of a plain HTTP GET (off the event loop, like any outside client)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, json.loads(response.read()), response.headers["Content-Type"]
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read()), refused.headers["Content-Type"]


def test_a_configured_charger_that_is_not_connected_is_degraded_on_health_and_still_ready() -> None:
    async def scenario() -> None:
        async with csms() as running:
            code, body, kind = await asyncio.to_thread(get, running.port, "/health")
            assert (code, body["status"], kind) == (503, "degraded", "application/json")
            assert body["chargers"]["missing"] == ["CP1", "CP2"]
            assert body["problems"] == ["charger CP1: not connected", "charger CP2: not connected"]
            code, body, _ = await asyncio.to_thread(get, running.port, "/ready")
            assert (code, body["status"]) == (200, "degraded")

    run(scenario())


def test_every_charger_connected_is_ok_with_open_sessions_counted_and_no_token_in_the_report() -> None:
    async def scenario() -> None:
        async with csms() as running:
            async with charger(running.url("CP1")) as one, charger(running.url("CP2")) as _two:
                await one.call(call16.StartTransaction(connector_id=1, id_tag="TOKEN-OF-A-DRIVER", meter_start=0,
                                                       timestamp="2024-05-29T08:00:00Z"))
                code, body, _ = await asyncio.to_thread(get, running.port, "/health?verbose=1")
                raw = json.dumps(body)
        assert (code, body["status"], body["problems"]) == (200, "ok", [])
        assert body["chargers"]["connected"] == ["CP1", "CP2"] and body["open_sessions"] == 1
        assert body["store"] is None and body["cameras"] == {}
        assert "TOKEN-OF-A-DRIVER" not in raw

    run(scenario())


def test_a_charger_called_health_still_connects_over_websockets() -> None:
    async def scenario() -> None:
        async with csms(auto_register=True) as running:
            async with charger(running.url("health")) as cp:
                await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
                assert "health" in running.server.connected
            code, _, _ = await asyncio.to_thread(get, running.port, "/health")
            assert code == 503  # CP1 and CP2 are still not connected

    run(scenario())


def test_a_store_that_refuses_writes_makes_the_site_down_until_a_write_succeeds_again(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    log = EventLog(connect(f"sqlite:///{path}"), Keys.from_text(generate_key(), "test"))
    config = CsmsConfig(site_id="s", stations={"CP1": {"evses": {1: "B1"}}}, accept_unknown_tokens=True)
    writer = StoreWriter(log)
    server = CsmsServer(persistent_central_system(config, log, writer=writer), ManualClock(T0), response_timeout=5)
    server.health = lambda: site_report(server.central, server.connected, writer.times)

    def break_store(broken: bool) -> None:  # another hand on the same database file: a real failure
        with sqlite3.connect(path) as db:
            db.execute("ALTER TABLE sessions RENAME TO sessions_away" if broken else
                       "ALTER TABLE sessions_away RENAME TO sessions")

    async def scenario() -> None:
        port = await server.start("127.0.0.1", 0)
        try:
            async with charger(f"ws://127.0.0.1:{port}/CP1") as cp:
                start = call16.StartTransaction(connector_id=1, id_tag="T", meter_start=0, timestamp="2024-05-29T08:00:00Z")
                await cp.call(start)
                code, body, _ = await asyncio.to_thread(get, port, "/ready")
                assert (code, body["status"]) == (200, "ok")
                assert body["store"]["failing"] is False and 0 <= body["store"]["last_write_age_s"] < 30
                break_store(True)
                assert await cp.call(call16.StopTransaction(meter_stop=10, timestamp="2024-05-29T09:00:00Z",
                                                            transaction_id=1)) is None
                for path_ in ("/ready", "/health"):
                    code, body, _ = await asyncio.to_thread(get, port, path_)
                    assert (code, body["status"], body["problems"]) == (503, "down", ["store: the last write failed"])
                break_store(False)
                await cp.call(call16.StopTransaction(meter_stop=10, timestamp="2024-05-29T09:00:00Z", transaction_id=1))
                code, body, _ = await asyncio.to_thread(get, port, "/health")
                assert (code, body["status"]) == (200, "ok")
        finally:
            await server.stop()
            writer.close()

    run(scenario())
