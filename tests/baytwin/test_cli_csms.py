"""``baytwin csms serve`` as an operator runs it: a real process, real chargers, a real store; restart keeps sessions."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from ocpp.v16 import call as call16
from sqlalchemy import create_engine, text

from tests.core.csms.conftest import charger

from .test_cli import baytwin


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    exe = Path(sys.executable).parent / "baytwin"
    log = (tmp_path / "csms.log").open("a")  # a file, not a pipe: a busy server must never block on its own log
    process = subprocess.Popen([str(exe), "csms", "serve", "--port", str(port), "--db", f"sqlite:///{tmp_path / 'store.db'}",
                                "--key-file", str(tmp_path / "site.key")], stdout=log, stderr=subprocess.STDOUT,
                               text=True, cwd=tmp_path)
    process.log_path = tmp_path / "csms.log"  # type: ignore[attr-defined]
    deadline = time.time() + 120  # generous: a loaded machine starts Python slowly; a quick start returns at once
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process
        if process.poll() is not None:
            raise AssertionError((tmp_path / "csms.log").read_text())
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the central system did not start listening")


def _stop(process: subprocess.Popen[str]) -> str:
    """Stop the server; returns what it printed in this run."""
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    output = process.log_path.read_text()  # type: ignore[attr-defined]
    process.log_path.write_text("")  # type: ignore[attr-defined]
    assert process.returncode == 0, output
    return output


def test_serve_keeps_sessions_in_the_store_across_a_restart(tmp_path: Path) -> None:
    assert baytwin("keys", "generate", "--out", str(tmp_path / "site.key")).returncode == 0
    port = _free_port()
    url = f"ws://127.0.0.1:{port}/CP7"

    async def start_session() -> int:
        async with charger(url) as cp:
            await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            started = await cp.call(call16.StartTransaction(connector_id=1, id_tag="TAG", meter_start=0,
                                                            timestamp="2024-05-29T08:00:00Z"))
            return int(started.transaction_id)

    async def finish_session(tx: int) -> None:
        async with charger(url) as cp:
            await cp.call(call16.StopTransaction(meter_stop=7000, timestamp="2024-05-29T11:00:00Z", transaction_id=tx))
            again = await cp.call(call16.StartTransaction(connector_id=1, id_tag="TAG2", meter_start=7000,
                                                          timestamp="2024-05-29T12:00:00Z"))
            assert again.transaction_id != tx  # numbering continues after the restart

    server = _serve(tmp_path, port)
    tx = asyncio.run(start_session())
    output = _stop(server)
    assert "stopped; 1 transaction(s) still open" in output
    server = _serve(tmp_path, port)  # a new process: the open transaction comes back from the store
    asyncio.run(finish_session(tx))
    output = _stop(server)
    assert "resumed 1 open transaction(s)" in output
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT session_id, bay, energy_kwh, ended_at FROM sessions ORDER BY started_at")).all()
    assert [(r[0], r[1], r[2], r[3] is not None) for r in rows] == [
        (f"CP7/{tx}", "CP7-1", 7.0, True), (f"CP7/{rows[1][0].split('/')[1]}", "CP7-1", 0.0, False)]
    assert baytwin("audit", "verify", "--db", f"sqlite:///{tmp_path / 'store.db'}").returncode == 0


def test_a_broken_site_file_is_a_clear_error(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text("csms:\n  site_id: s\n  stations:\n    CP1: {evses: {1: B1}}\n    CP2: {evses: {1: B1}}\n")
    result = baytwin("csms", "serve", "--site", str(site), "--no-store")
    assert result.returncode == 2
    assert "site.yaml" in result.stderr and "bay 'B1' is already served by CP1 EVSE 1" in result.stderr


def test_the_twins_chargers_speak_ocpp_to_a_running_central_system(tmp_path: Path) -> None:
    assert baytwin("keys", "generate", "--out", str(tmp_path / "site.key")).returncode == 0
    port = _free_port()
    server = _serve(tmp_path, port)
    try:
        result = baytwin("sim", "run", "workplace-garage/enforced", "--days", "1", "--out", str(tmp_path / "run"),
                         "--ocpp", f"ws://127.0.0.1:{port}", "--set", "site.chargers.protocol=mixed")
    finally:
        output = _stop(server)
    assert result.returncode == 0, result.stderr
    assert "malformed" not in output and "deviates" not in output
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.connect() as conn:
        sessions = conn.execute(text("SELECT count(*), count(ended_at) FROM sessions")).one()
    visits = pd.read_parquet(tmp_path / "run" / "sessions.parquet")
    plugged = visits[visits["plug_in"].notna()]
    assert sessions[0] == len(plugged) > 10  # every charge the twin made is a session in the central system's store
    assert sessions[1] == plugged["unplug"].notna().sum()


def test_sim_run_with_no_central_system_listening_is_a_clear_error(tmp_path: Path) -> None:
    result = baytwin("sim", "run", "workplace-garage/enforced", "--days", "1", "--out", str(tmp_path / "run"),
                     "--ocpp", f"ws://127.0.0.1:{_free_port()}")
    assert result.returncode == 2 and "cannot reach the central system" in result.stderr


def test_sigkill_under_load_loses_no_acknowledged_message_and_reuses_no_transaction_id(tmp_path: Path) -> None:
    """Chargers start and stop transactions as fast as they are answered; the server is killed (SIGKILL)
    mid-stream three times and restarted. Whatever a charger got an answer for must be in the store
    exactly once, and no transaction id may be handed out twice."""
    import json

    import websockets

    assert baytwin("keys", "generate", "--out", str(tmp_path / "site.key")).returncode == 0
    port = _free_port()
    acked_starts: list[int] = []
    acked_stops: list[int] = []

    async def cycle(station: str, stop_at: float, open_tx: dict[str, int]) -> None:
        try:
            async with websockets.connect(f"ws://127.0.0.1:{port}/{station}", subprotocols=["ocpp1.6"]) as ws:
                k = 0
                while time.time() < stop_at:
                    k += 1
                    if station in open_tx:
                        tx = open_tx[station]
                        await ws.send(json.dumps([2, f"{station}-{k}", "StopTransaction", {
                            "meterStop": 1000, "timestamp": "2024-05-29T09:00:00Z", "transactionId": tx}]))
                        if json.loads(await ws.recv())[0] == 3:
                            acked_stops.append(tx)
                            del open_tx[station]
                    else:
                        await ws.send(json.dumps([2, f"{station}-{k}", "StartTransaction", {
                            "connectorId": 1, "idTag": "TAG", "meterStart": 0, "timestamp": "2024-05-29T08:00:00Z"}]))
                        answer = json.loads(await ws.recv())
                        if answer[0] == 3:
                            acked_starts.append(answer[2]["transactionId"])
                            open_tx[station] = answer[2]["transactionId"]
        except (OSError, websockets.ConnectionClosed):
            pass  # the server died under us: what was answered counts, what was not is resent next round

    open_tx: dict[str, int] = {}
    for round_ in range(3):
        server = _serve(tmp_path, port)

        async def load() -> None:
            stop_at = time.time() + 30
            tasks = [asyncio.create_task(cycle(f"CP{n}", stop_at, open_tx)) for n in range(5)]
            await asyncio.sleep(1.0 + 0.5 * round_)
            server.send_signal(signal.SIGKILL)
            await asyncio.gather(*tasks)

        asyncio.run(load())
        server.wait(timeout=30)
    server = _serve(tmp_path, port)
    _stop(server)

    assert len(acked_starts) >= 15 and len(set(acked_starts)) == len(acked_starts), "a transaction id was reused"
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.connect() as conn:
        sessions = {r[0]: r[1] for r in conn.execute(text("SELECT session_id, ended_at FROM sessions"))}
        started = [json.loads(r[0])["session_id"] for r in
                   conn.execute(text("SELECT public FROM event_log WHERE kind = 'session_started'"))]
        ended = [json.loads(r[0])["session_id"] for r in
                 conn.execute(text("SELECT public FROM event_log WHERE kind = 'session_ended'"))]
    stations = {}
    for sid in sessions:
        stations[int(sid.split("/")[1])] = sid
    for tx in acked_starts:
        assert tx in stations, f"acknowledged start of transaction {tx} is not stored"
    for tx in acked_stops:
        assert sessions[stations[tx]] is not None, f"acknowledged stop of transaction {tx} is not stored"
    assert len(started) == len(set(started)) and len(ended) == len(set(ended)), "a message was stored twice"
    assert baytwin("audit", "verify", "--db", f"sqlite:///{tmp_path / 'store.db'}").returncode == 0


def test_serve_anchors_the_logs_head_in_signed_checkpoints_that_audit_verify_checks(tmp_path: Path) -> None:
    assert baytwin("keys", "generate", "--out", str(tmp_path / "site.key")).returncode == 0
    port = _free_port()
    exe = Path(sys.executable).parent / "baytwin"
    folder = tmp_path / "anchors"
    logfile = (tmp_path / "csms.log").open("a")
    server = subprocess.Popen([str(exe), "csms", "serve", "--port", str(port), "--db", f"sqlite:///{tmp_path / 'store.db'}",
                               "--key-file", str(tmp_path / "site.key"), "--checkpoints", str(folder),
                               "--checkpoint-every", "1"], stdout=logfile, stderr=subprocess.STDOUT, cwd=tmp_path)
    server.log_path = tmp_path / "csms.log"  # type: ignore[attr-defined]
    deadline = time.time() + 120
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)

    async def session() -> None:
        async with charger(f"ws://127.0.0.1:{port}/CP7") as cp:
            started = await cp.call(call16.StartTransaction(connector_id=1, id_tag="TAG", meter_start=0,
                                                            timestamp="2024-05-29T08:00:00Z"))
            await cp.call(call16.StopTransaction(meter_stop=900, timestamp="2024-05-29T09:00:00Z",
                                                 transaction_id=started.transaction_id))

    asyncio.run(session())
    time.sleep(2.5)  # a tick or two of the checkpoint timer
    _stop(server)  # type: ignore[arg-type]
    assert list(folder.glob("*.json"))
    db = f"sqlite:///{tmp_path / 'store.db'}"
    public = str(tmp_path / "site.signing.pub")
    assert baytwin("audit", "verify", "--db", db, "--checkpoints", str(folder), "--public-key", public).returncode == 0
    engine = create_engine(db)
    with engine.begin() as conn:  # cut the tail and rewind the head: the checkpoint remembers
        conn.execute(text("DELETE FROM event_log WHERE seq = (SELECT max(seq) FROM event_log)"))
        conn.execute(text("UPDATE chain_heads SET seq = seq - 1, hash = (SELECT hash FROM event_log ORDER BY seq DESC LIMIT 1)"))
    assert baytwin("audit", "verify", "--db", db, "--checkpoints", str(folder), "--public-key", public).returncode != 0
