"""Central-system load on loopback: N chargers over real websockets, each sending one message a second,
against a bare ``ocpp`` server that only answers the same messages, measured in the same run. Reports
messages/s and p50/p99 round-trip latency.

Two workloads: the idle one (heartbeat, status, meter values in turn) and what a busy site does
(Authorize, StartTransaction, three MeterValues, StopTransaction, over and over) with the store on, so
every session event is committed to SQLite (or PostgreSQL, with BAYTWIN_TEST_PG_URL) before its answer.
A third measurement floods the server with 50 wrong-password connections a second while a good charger
sends heartbeats, and reports that charger's p99 against the same charger's p99 without the flood.

The chargers run in a separate process (raw websocket clients sending ready-made OCPP-J frames, so the
client side costs little); the server under test runs here. Each round is bounded in time and stops by
itself. The in-process transport's messages/s is measured too, against a bare ``ocpp`` charge point
routing the same frames in process.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Bare16
from ocpp.v16 import call_result

from baytwin.core.csms.central import CentralSystem
from baytwin.core.csms.config import CsmsConfig, hash_password
from baytwin.core.csms.server import CsmsServer
from baytwin.core.csms.service import persistent_central_system
from baytwin.core.privacy import Keys, generate_key
from baytwin.core.store.database import connect
from baytwin.core.store.log import EventLog
from baytwin.core.store.writer import StoreWriter
from tests.benchmarks.figures import Figure, record

SECONDS = 8.0
FRAMES = [
    '[2,"{id}","Heartbeat",{{}}]',
    '[2,"{id}","StatusNotification",{{"connectorId":1,"errorCode":"NoError","status":"Available"}}]',
    '[2,"{id}","MeterValues",{{"connectorId":1,"meterValue":[{{"timestamp":"2024-05-29T08:00:00Z",'
    '"sampledValue":[{{"value":"1234.5","measurand":"Energy.Active.Import.Register","unit":"Wh"}}]}}]}}]',
]


TRANSACTION_FRAMES = [
    '[2,"{id}","Authorize",{{"idTag":"TAG{i}"}}]',
    '[2,"{id}","StartTransaction",{{"connectorId":1,"idTag":"TAG{i}","meterStart":0,"timestamp":"2024-05-29T08:00:00Z"}}]',
    '[2,"{id}","MeterValues",{{"connectorId":1,"transactionId":{tx},"meterValue":[{{"timestamp":"2024-05-29T08:10:00Z",'
    '"sampledValue":[{{"value":"{wh}","measurand":"Energy.Active.Import.Register","unit":"Wh"}},'
    '{{"value":"16.0","measurand":"Current.Import","unit":"A"}}]}}]}}]',
    '[2,"{id}","StopTransaction",{{"meterStop":{wh},"timestamp":"2024-05-29T09:00:00Z","transactionId":{tx}}}]',
]
CYCLE = [0, 1, 2, 2, 2, 3]  # one session: authorize, start, three meter values, stop


class BareServer(Bare16):
    """What a minimal ``ocpp`` server does for these messages: validate, answer, nothing else."""

    @on("Heartbeat")
    def heartbeat(self):  # type: ignore[no-untyped-def]
        return call_result.Heartbeat(current_time="2024-05-29T08:00:00Z")

    @on("StatusNotification")
    def status(self, **_: Any):  # type: ignore[no-untyped-def]
        return call_result.StatusNotification()

    @on("MeterValues")
    def meter(self, **_: Any):  # type: ignore[no-untyped-def]
        return call_result.MeterValues()

    @on("Authorize")
    def authorize(self, **_: Any):  # type: ignore[no-untyped-def]
        return call_result.Authorize(id_tag_info={"status": "Accepted"})

    @on("StartTransaction")
    def start_transaction(self, **_: Any):  # type: ignore[no-untyped-def]
        BareServer.issued += 1
        return call_result.StartTransaction(transaction_id=BareServer.issued, id_tag_info={"status": "Accepted"})

    @on("StopTransaction")
    def stop_transaction(self, **_: Any):  # type: ignore[no-untyped-def]
        return call_result.StopTransaction()

    issued = 0


async def _bare(host: str) -> tuple[Any, int]:
    async def handler(connection):  # type: ignore[no-untyped-def]
        try:
            await BareServer(connection.request.path.strip("/"), connection).start()
        except websockets.ConnectionClosed:
            pass

    server = await websockets.serve(handler, host, 0, subprotocols=["ocpp1.6"], ping_interval=None)  # type: ignore[list-item]
    return server, server.sockets[0].getsockname()[1]


def _next_frame(i: int, k: int, tx: int, transactions: bool) -> str:
    if not transactions:
        return FRAMES[k % 3].format(id=f"{i}-{k}")
    return TRANSACTION_FRAMES[CYCLE[k % len(CYCLE)]].format(id=f"{i}-{k}", i=i, tx=tx, wh=1000 * (k % len(CYCLE)))


def _clients(port: int, n: int, seconds: float, out: Any, transactions: bool = False) -> None:
    """Run in its own process: n chargers, one message a second each, for ``seconds``."""
    async def charger(i: int, latencies: list[float], stop: float) -> None:
        async with websockets.connect(f"ws://127.0.0.1:{port}/LOAD{i:04d}", subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                                      ping_interval=None, open_timeout=60) as ws:
            await asyncio.sleep((i % 100) / 100.0)  # spread the chargers over the second
            k, tx = 0, 0
            while time.perf_counter() < stop:
                began = time.perf_counter()
                await ws.send(_next_frame(i, k, tx, transactions))
                answer = await ws.recv()
                latencies.append(time.perf_counter() - began)
                if transactions and CYCLE[k % len(CYCLE)] == 1:
                    tx = json.loads(answer)[2]["transactionId"]
                k += 1
                await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - began)))

    async def main() -> None:
        latencies: list[float] = []
        stop = time.perf_counter() + seconds
        results = await asyncio.gather(*(charger(i, latencies, stop) for i in range(n)), return_exceptions=True)
        failures = sum(isinstance(r, Exception) for r in results)
        out.put({"latencies": latencies, "failures": failures, "seconds": seconds})

    asyncio.run(main())


def _drive(port: int, n: int, transactions: bool = False) -> dict[str, float]:
    queue: Any = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(target=_clients, args=(port, n, SECONDS, queue, transactions))
    process.start()
    result = queue.get(timeout=SECONDS + 120)
    process.join(30)
    ms = sorted(x * 1000 for x in result["latencies"])
    return {"messages_per_s": len(ms) / result["seconds"], "p50_ms": statistics.median(ms),
            "p99_ms": ms[int(0.99 * (len(ms) - 1))], "failed_chargers": result["failures"]}


def _store(folder: Path) -> tuple[EventLog, StoreWriter]:
    url = os.environ.get("BAYTWIN_BENCH_DB_URL") or f"sqlite:///{folder / 'load.db'}"
    log = EventLog(connect(url), Keys.from_text(generate_key(), "bench"))
    return log, StoreWriter(log)


def _measure(n: int, ours: bool, transactions: bool = False, folder: Path | None = None) -> dict[str, float]:
    async def main() -> dict[str, float]:
        if ours:
            config = CsmsConfig(site_id=f"load{time.time_ns()}", auto_register=True, accept_unknown_tokens=True)
            log, writer = _store(folder) if folder is not None else (None, None)
            central = persistent_central_system(config, log, writer=writer)
            server = CsmsServer(central)
            port = await server.start("127.0.0.1", 0)
            try:
                figures = await asyncio.to_thread(_drive, port, n, transactions)
                if writer is not None:
                    figures["events_per_commit"] = writer.batches / max(1, writer.commits)
                return figures
            finally:
                await server.stop()
                if writer is not None:
                    writer.close()
        bare, port = await _bare("127.0.0.1")
        try:
            return await asyncio.to_thread(_drive, port, n, transactions)
        finally:
            bare.close()
            await bare.wait_closed()

    return asyncio.run(main())


def record_against_bare(benchmark, ours: dict[str, float], bare: dict[str, float]) -> Figure:  # type: ignore[no-untyped-def]
    """The central system's p99 round trip and throughput beside the bare ``ocpp`` server's."""
    record(benchmark, "messages/s", ours["messages_per_s"], "msg/s", baseline=bare["messages_per_s"],
           baseline_name="bare ocpp server", better="higher")
    return record(benchmark, "p99 round trip", ours["p99_ms"], "ms", baseline=bare["p99_ms"],
                  baseline_name="bare ocpp server", note=f"p50 {ours['p50_ms']:.1f} ms, bare {bare['p50_ms']:.1f} ms")


@pytest.mark.parametrize("chargers", [100, 500, 1000])
def test_load_against_a_bare_ocpp_server(benchmark, chargers: int) -> None:
    figures: dict[str, dict[str, float]] = {}

    def both() -> None:
        figures["bare"] = _measure(chargers, ours=False)
        figures["csms"] = _measure(chargers, ours=True)

    benchmark.pedantic(both, rounds=1, iterations=1)
    ours, bare = figures["csms"], figures["bare"]
    record_against_bare(benchmark, ours, bare)
    benchmark.extra_info.update({"chargers": chargers, **{f"csms_{k}": round(v, 2) for k, v in ours.items()},
                                 **{f"bare_{k}": round(v, 2) for k, v in bare.items()},
                                 "p99_ratio": round(ours["p99_ms"] / bare["p99_ms"], 2)})
    print(f"\n{chargers} chargers: csms {ours['messages_per_s']:.0f} msg/s p50 {ours['p50_ms']:.1f} ms "
          f"p99 {ours['p99_ms']:.1f} ms | bare ocpp {bare['messages_per_s']:.0f} msg/s p50 {bare['p50_ms']:.1f} ms "
          f"p99 {bare['p99_ms']:.1f} ms | p99 ratio {ours['p99_ms'] / bare['p99_ms']:.2f}")
    assert ours["failed_chargers"] == 0 and bare["failed_chargers"] == 0


@pytest.mark.parametrize("chargers", [100, 500, 1000])
def test_load_with_transactions_and_the_store_against_a_bare_ocpp_server(benchmark, chargers: int, tmp_path: Path) -> None:
    figures: dict[str, dict[str, float]] = {}

    def both() -> None:
        figures["bare"] = _measure(chargers, ours=False, transactions=True)
        figures["csms"] = _measure(chargers, ours=True, transactions=True, folder=tmp_path)

    benchmark.pedantic(both, rounds=1, iterations=1)
    ours, bare = figures["csms"], figures["bare"]
    record_against_bare(benchmark, ours, bare)
    benchmark.extra_info.update({"chargers": chargers, **{f"csms_{k}": round(v, 2) for k, v in ours.items()},
                                 **{f"bare_{k}": round(v, 2) for k, v in bare.items()},
                                 "p99_ratio": round(ours["p99_ms"] / bare["p99_ms"], 2)})
    print(f"\n{chargers} chargers with transactions, store on: csms {ours['messages_per_s']:.0f} msg/s "
          f"p50 {ours['p50_ms']:.1f} ms p99 {ours['p99_ms']:.1f} ms ({ours['events_per_commit']:.1f} batches/commit) | "
          f"bare ocpp {bare['messages_per_s']:.0f} msg/s p50 {bare['p50_ms']:.1f} ms p99 {bare['p99_ms']:.1f} ms | "
          f"p99 ratio {ours['p99_ms'] / bare['p99_ms']:.2f}")
    assert ours["failed_chargers"] == 0 and bare["failed_chargers"] == 0


def _flood(port: int, seconds: float, per_second: int) -> int:
    """Wrong-password connection attempts at ``per_second`` for ``seconds``; returns how many were made."""
    async def one() -> None:
        try:
            async with websockets.connect(f"ws://CP2:wrong@127.0.0.1:{port}/CP2", subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                                          open_timeout=30):
                pass
        except Exception:
            pass

    async def main() -> int:
        tasks, made = [], 0
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            tasks += [asyncio.create_task(one()) for _ in range(per_second)]
            made += per_second
            await asyncio.sleep(1.0)
        await asyncio.gather(*tasks)
        return made

    return asyncio.run(main())


def test_heartbeats_during_a_flood_of_wrong_passwords(benchmark) -> None:
    config = CsmsConfig(site_id="flood", stations={"CP1": {"evses": {1: "B1"}, "password_hash": hash_password("good")},
                                                   "CP2": {"evses": {1: "B2"}, "password_hash": hash_password("other")}})
    figures: dict[str, float] = {}

    async def main(flooded: bool) -> dict[str, float]:
        server = CsmsServer(CentralSystem(config))
        port = await server.start("127.0.0.1", 0)
        latencies: list[float] = []
        found: dict[str, float] = {}
        try:
            async with websockets.connect(f"ws://CP1:good@127.0.0.1:{port}/CP1", subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
                flood = asyncio.create_task(asyncio.to_thread(_flood, port, SECONDS, 50) if flooded
                                            else asyncio.sleep(SECONDS, 0))
                k = 0
                while not flood.done():
                    began = time.perf_counter()
                    await ws.send(f'[2,"hb{k}","Heartbeat",{{}}]')
                    await ws.recv()
                    latencies.append(time.perf_counter() - began)
                    k += 1
                    await asyncio.sleep(0.1)
                found["attempts"] = await flood
        finally:
            await server.stop()
        ms = sorted(x * 1000 for x in latencies)
        found.update(p50_ms=statistics.median(ms), p99_ms=ms[int(0.99 * (len(ms) - 1))], heartbeats=len(ms))
        return found

    figures.update(benchmark.pedantic(lambda: asyncio.run(main(flooded=True)), rounds=1, iterations=1))
    quiet = asyncio.run(main(flooded=False))
    record(benchmark, "heartbeat p99 under a flood", figures["p99_ms"], "ms", baseline=quiet["p99_ms"],
           baseline_name="same charger, no flood", note=f"{figures['attempts']:.0f} wrong-password connections")
    benchmark.extra_info.update({**{k: round(v, 2) for k, v in figures.items()},
                                 **{f"no_flood_{k}": round(v, 2) for k, v in quiet.items()}})
    print(f"\nflood of {figures['attempts']:.0f} wrong-password connections: a good charger's heartbeat "
          f"p50 {figures['p50_ms']:.1f} ms p99 {figures['p99_ms']:.1f} ms over {figures['heartbeats']:.0f} heartbeats "
          f"(without the flood p99 {quiet['p99_ms']:.1f} ms)")


def test_in_process_transport_messages_per_second(benchmark) -> None:
    from baytwin.core.clock import ManualClock
    from baytwin.sim.ocpp_link import InProcessLink

    central = CentralSystem(CsmsConfig(site_id="load", auto_register=True, accept_unknown_tokens=True))
    link = InProcessLink(central, ManualClock(0.0))
    link.connect("CP1", "ocpp1.6")
    payloads = [json.loads(f.format(id="x"))[3] for f in FRAMES]
    actions = ["Heartbeat", "StatusNotification", "MeterValues"]

    def send() -> None:
        for k in range(3000):
            link.call("CP1", actions[k % 3], payloads[k % 3])

    benchmark.pedantic(send, rounds=3, iterations=1)
    rate = 3000 / benchmark.stats.stats.median
    bare_rate = 3000 / bare_routing_seconds(3000)
    figure = record(benchmark, "in-process transport", rate, "msg/s", baseline=bare_rate, better="higher",
                    baseline_name="bare ocpp routing in process")
    benchmark.extra_info.update({"messages_per_second": round(rate), "bare_messages_per_second": round(bare_rate)})
    print(f"\nin-process transport: {rate:,.0f} messages/s (bare ocpp routing {bare_rate:,.0f}/s, {figure.ratio:.2f}x)")
    link.close()


class _Sink:
    """A connection that swallows what is sent: the bare charge point's answers go nowhere."""

    async def send(self, message: str) -> None:
        return None

    async def recv(self) -> str:  # never called: frames are routed directly
        raise NotImplementedError


def bare_routing_seconds(n: int) -> float:
    """Median of three: ``n`` frames routed by a bare ``ocpp`` server (parse, validate, answer), no socket."""
    frames = [FRAMES[k % 3].format(id=f"x{k}") for k in range(n)]
    server = BareServer("CP1", _Sink())

    async def route() -> float:
        started = time.perf_counter()
        for frame in frames:
            await server.route_message(frame)
        return time.perf_counter() - started

    return sorted(asyncio.run(route()) for _ in range(3))[1]
