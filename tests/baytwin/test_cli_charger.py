"""``baytwin charger`` and ``baytwin csms command`` as an operator uses them: real processes, real websockets, a real store."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from baytwin.core.csms.central import Command
from baytwin.core.csms.config import CsmsConfig, hash_password
from tests.core.csms.conftest import csms

from .test_cli import baytwin
from .test_cli_csms import _free_port, _serve, _stop

EXE = str(Path(sys.executable).parent / "baytwin")

SESSION = """steps:
  - plug 1
  - start 1 TAG-7
  - meter 1 7.4kW
  - wait 0.5
  - meter: 1 2.5kWh 16A
  - suspend 1
  - meter 1 3.0kWh
  - stop 1
  - unplug 1
"""


def _charger(url: str, *args: str, stdin: int | None = None, out: Path | None = None) -> subprocess.Popen[str]:
    sink = out.open("a") if out is not None else subprocess.PIPE
    return subprocess.Popen([EXE, "charger", "--csms", url, *args], stdin=stdin, stdout=sink, stderr=subprocess.STDOUT,
                            text=True)


def _rows(db: Path, query: str) -> list[tuple]:  # type: ignore[type-arg]
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(query))]


def _wait_for(predicate, what: str, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_scripted_charger_runs_a_whole_session_into_the_store_of_csms_serve(tmp_path: Path) -> None:
    assert baytwin("keys", "generate", "--out", str(tmp_path / "site.key")).returncode == 0
    port = _free_port()
    script = tmp_path / "session.yaml"
    script.write_text(SESSION)
    server = _serve(tmp_path, port)
    try:
        for version in ("1.6", "2.0.1"):
            done = subprocess.run([EXE, "charger", "--csms", f"ws://127.0.0.1:{port}/CP-{version}", "--ocpp", version,
                                   "--script", str(script)], capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stdout + done.stderr
            assert "transaction" in done.stdout and "stopped (local), 3.000 kWh" in done.stdout
    finally:
        _stop(server)
    sessions = _rows(tmp_path / "store.db", "select session_id, state, energy_kwh, ended_at is not null from sessions")
    assert len(sessions) == 2 and all(s[1] == "ended" and s[2] == pytest.approx(3.0) and s[3] for s in sessions)
    assert {s[0].split("/")[0] for s in sessions} == {"CP-1.6", "CP-2.0.1"}
    audit = baytwin("audit", "verify", "--db", f"sqlite:///{tmp_path / 'store.db'}")
    assert audit.returncode == 0, audit.stdout + audit.stderr


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_the_charger_answers_the_central_systems_commands_as_a_real_one(tmp_path: Path, version: str) -> None:
    config = CsmsConfig(site_id="site", stations={"CP1": {"evses": {1: "B1", 2: "B2"}}}, accept_unknown_tokens=True)

    async def scenario() -> None:
        async with csms(config) as running:
            proc = await asyncio.create_subprocess_exec(EXE, "charger", "--csms", running.url("CP1"), "--ocpp", version,
                                                        "--evses", "2", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                                        stderr=subprocess.STDOUT)
            assert proc.stdin is not None
            proc.stdin.write(b"plug 1\n")
            await proc.stdin.drain()
            for _ in range(600):
                if "CP1" in running.server.connected and running.central.stations["CP1"].status.get(1) in (
                        "Preparing", "Occupied"):
                    break
                await asyncio.sleep(0.1)
            assert await running.server.send(Command("CP1", "start", evse=1, id_token="OP-TAG")) == "Accepted"
            for _ in range(100):
                if running.central.open_transactions():
                    break
                await asyncio.sleep(0.1)
            tx = running.central.open_transactions()[0]
            assert (tx.evse, tx.id_token) == (1, "OP-TAG")
            assert await running.server.send(Command("CP1", "availability", evse=2, operative=False)) == "Accepted"
            assert await running.server.send(Command("CP1", "availability", evse=1, operative=False)) == "Scheduled"
            unlock = await running.server.send(Command("CP1", "unlock", evse=2))
            assert unlock == "Unlocked"
            trigger = "MeterValues" if version == "1.6" else "TransactionEvent"
            assert await running.server.send(Command("CP1", "trigger", evse=1, message=trigger)) == "Accepted"
            assert await running.server.send(Command("CP1", "stop", transaction_id=tx.transaction_id)) == "Accepted"
            for _ in range(100):
                if not running.central.open_transactions():
                    break
                await asyncio.sleep(0.1)
            assert await running.server.send(Command("CP1", "stop", transaction_id="999")) == "Rejected"
            assert await running.server.send(Command("CP1", "reset", message="Soft" if version == "1.6" else "OnIdle")) \
                == "Accepted"
            proc.stdin.write(b"status\nquit\n")
            await proc.stdin.drain()
            out, _ = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 0, out.decode()
            ended = [e for e in running.events if e.kind == "session_ended"]
            assert [e.reason for e in ended] == ["remote"]
            assert "EVSE 1: Unavailable" in out.decode()  # the scheduled change took effect when the transaction ended

    asyncio.run(asyncio.wait_for(scenario(), 120))


def test_charger_problems_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps:\n  - plug 1\n  - meter 1 7.4kx\n")
    done = baytwin("charger", "--csms", "ws://127.0.0.1:9/CP1", "--script", str(bad))
    assert done.returncode == 2
    assert "bad.yaml: steps.1: meter: '7.4kx' is not a power" in done.stderr and "Traceback" not in done.stderr
    done = baytwin("charger", "--csms", "http://127.0.0.1:9000/CP1")
    assert done.returncode == 2 and "ws:// or wss://" in done.stderr
    done = baytwin("charger", "--csms", f"ws://127.0.0.1:{_free_port()}/CP1")
    assert done.returncode == 1 and "cannot reach the central system" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    config = CsmsConfig(site_id="site", stations={"CP1": {"evses": {1: "B1"}, "password_hash": hash_password("s3cret")}})

    async def refused() -> list[subprocess.CompletedProcess[str]]:
        async with csms(config) as running:
            results = []
            for url, extra in ((running.url("CPX"), []), (running.url("CP1"), []),
                               (running.url("CP1").replace("//", "//CP1:wrong@"), [])):
                proc = await asyncio.create_subprocess_exec(EXE, "charger", "--csms", url, *extra,
                                                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                            stderr=subprocess.PIPE)
                out, err = await asyncio.wait_for(proc.communicate(), 60)
                results.append(subprocess.CompletedProcess([], proc.returncode, out.decode(), err.decode()))
            return results

    unknown, no_password, wrong = asyncio.run(refused())
    assert unknown.returncode == 1 and "HTTP 404" in unknown.stderr
    assert no_password.returncode == 1 and "HTTP 401: it wants credentials" in no_password.stderr
    assert wrong.returncode == 1 and "wrong user or password" in wrong.stderr and "wrong@" not in wrong.stderr


def test_an_operators_command_reaches_a_connected_charger_and_its_answer_is_on_record(tmp_path: Path) -> None:
    assert baytwin("keys", "generate", "--out", str(tmp_path / "site.key")).returncode == 0
    port = _free_port()
    db, key = f"sqlite:///{tmp_path / 'store.db'}", str(tmp_path / "site.key")
    store = ("--db", db, "--key-file", key, "--site-id", "site")
    server = _serve(tmp_path, port)
    charger_log = tmp_path / "charger.log"
    charger = _charger(f"ws://127.0.0.1:{port}/CP1", "--evses", "2", stdin=subprocess.PIPE, out=charger_log)
    try:
        assert charger.stdin is not None
        charger.stdin.write("plug 1\n")
        charger.stdin.flush()
        _wait_for(lambda: "booted: Accepted" in charger_log.read_text(), "the charger to boot")
        start = baytwin("csms", "command", "CP1", "remote-start", "--evse", "1", "--id-token", "OP-TAG",
                        "--operator", "alice", *store)
        assert start.returncode == 0, start.stdout + start.stderr
        assert "CP1 remote-start: Accepted" in start.stdout
        _wait_for(lambda: _rows(tmp_path / "store.db", "select count(*) from sessions where ended_at is null")[0][0] == 1,
                  "the remote start's transaction")
        stop = baytwin("csms", "command", "CP1", "remote-stop", "--evse", "1", "--operator", "bob", *store)
        assert stop.returncode == 0 and "CP1 remote-stop: Accepted" in stop.stdout, stop.stdout + stop.stderr
        rejected = baytwin("csms", "command", "CP1", "remote-stop", "--transaction", "999", "--operator", "bob", *store)
        assert rejected.returncode == 1 and "Rejected" in rejected.stdout
        absent = baytwin("csms", "command", "CP9", "reset", "--operator", "carol", *store)
        assert absent.returncode == 1 and "not connected" in absent.stdout
        bad = baytwin("csms", "command", "CP1", "remote-start", "--operator", "alice", *store)
        assert bad.returncode == 2 and "--id-token" in bad.stderr
        charger.stdin.write("quit\n")
        charger.stdin.flush()
        charger.wait(timeout=60)
    finally:
        if charger.poll() is None:
            charger.kill()
        _stop(server)
    rows = _rows(tmp_path / "store.db", "select seq, kind, public from event_log where kind in "
                 "('operator_command', 'command_answered') order by seq")
    asked = [json.loads(p) for _, kind, p in rows if kind == "operator_command"]
    answers = {json.loads(p)["command_seq"]: json.loads(p)["status"] for _, kind, p in rows if kind == "command_answered"}
    assert [(a["operator"], a["action"]) for a in asked] == [("alice", "remote-start"), ("bob", "remote-stop"),
                                                             ("bob", "remote-stop"), ("carol", "reset")]
    assert asked[0]["id_token"] == "<personal>"  # the token is sealed like every other
    seqs = [seq for seq, kind, _ in rows if kind == "operator_command"]
    assert [answers[s] for s in seqs] == ["Accepted", "Accepted", "Rejected", "not connected"]
    ended = _rows(tmp_path / "store.db", "select public from event_log where kind = 'session_ended'")
    assert [json.loads(p)["reason"] for (p,) in ended] == ["remote"]
    audit = baytwin("audit", "verify", "--db", db)
    assert audit.returncode == 0, audit.stdout + audit.stderr
