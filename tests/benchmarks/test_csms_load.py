"""Central-system load on loopback: N chargers over real websockets, each sending one message a second
(heartbeat, status, meter values in turn), against a bare ``ocpp`` server that only answers the same
messages, measured in the same run. Reports messages/s and p50/p99 round-trip latency.

The chargers run in a separate process (raw websocket clients sending ready-made OCPP-J frames, so the
client side costs little); the server under test runs here. Each round is bounded in time and stops by
itself. The in-process transport's messages/s is measured too.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import time
from typing import Any

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Bare16
from ocpp.v16 import call_result

from core.csms.central import CentralSystem
from core.csms.config import CsmsConfig
from core.csms.server import CsmsServer

SECONDS = 8.0
FRAMES = [
    '[2,"{id}","Heartbeat",{{}}]',
    '[2,"{id}","StatusNotification",{{"connectorId":1,"errorCode":"NoError","status":"Available"}}]',
    '[2,"{id}","MeterValues",{{"connectorId":1,"meterValue":[{{"timestamp":"2024-05-29T08:00:00Z",'
    '"sampledValue":[{{"value":"1234.5","measurand":"Energy.Active.Import.Register","unit":"Wh"}}]}}]}}]',
]


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


async def _bare(host: str) -> tuple[Any, int]:
    async def handler(connection):  # type: ignore[no-untyped-def]
        try:
            await BareServer(connection.request.path.strip("/"), connection).start()
        except websockets.ConnectionClosed:
            pass

    server = await websockets.serve(handler, host, 0, subprotocols=["ocpp1.6"], ping_interval=None)  # type: ignore[list-item]
    return server, server.sockets[0].getsockname()[1]


def _clients(port: int, n: int, seconds: float, out: Any) -> None:
    """Run in its own process: n chargers, one message a second each, for ``seconds``."""
    async def charger(i: int, latencies: list[float], stop: float) -> None:
        async with websockets.connect(f"ws://127.0.0.1:{port}/LOAD{i:04d}", subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                                      ping_interval=None, open_timeout=60) as ws:
            await asyncio.sleep((i % 100) / 100.0)  # spread the chargers over the second
            k = 0
            while time.perf_counter() < stop:
                began = time.perf_counter()
                await ws.send(FRAMES[k % 3].format(id=f"{i}-{k}"))
                await ws.recv()
                latencies.append(time.perf_counter() - began)
                k += 1
                await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - began)))

    async def main() -> None:
        latencies: list[float] = []
        stop = time.perf_counter() + seconds
        results = await asyncio.gather(*(charger(i, latencies, stop) for i in range(n)), return_exceptions=True)
        failures = sum(isinstance(r, Exception) for r in results)
        out.put({"latencies": latencies, "failures": failures, "seconds": seconds})

    asyncio.run(main())


def _drive(port: int, n: int) -> dict[str, float]:
    queue: Any = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(target=_clients, args=(port, n, SECONDS, queue))
    process.start()
    result = queue.get(timeout=SECONDS + 120)
    process.join(30)
    ms = sorted(x * 1000 for x in result["latencies"])
    return {"messages_per_s": len(ms) / result["seconds"], "p50_ms": statistics.median(ms),
            "p99_ms": ms[int(0.99 * (len(ms) - 1))], "failed_chargers": result["failures"]}


def _measure(n: int, ours: bool) -> dict[str, float]:
    async def main() -> dict[str, float]:
        if ours:
            central = CentralSystem(CsmsConfig(site_id="load", auto_register=True, accept_unknown_tokens=True))
            server = CsmsServer(central)
            port = await server.start("127.0.0.1", 0)
            try:
                return await asyncio.to_thread(_drive, port, n)
            finally:
                await server.stop()
        bare, port = await _bare("127.0.0.1")
        try:
            return await asyncio.to_thread(_drive, port, n)
        finally:
            bare.close()
            await bare.wait_closed()

    return asyncio.run(main())


@pytest.mark.parametrize("chargers", [100, 500, 1000])
def test_load_against_a_bare_ocpp_server(benchmark, chargers: int) -> None:
    figures: dict[str, dict[str, float]] = {}

    def both() -> None:
        figures["bare"] = _measure(chargers, ours=False)
        figures["csms"] = _measure(chargers, ours=True)

    benchmark.pedantic(both, rounds=1, iterations=1)
    ours, bare = figures["csms"], figures["bare"]
    benchmark.extra_info.update({"chargers": chargers, **{f"csms_{k}": round(v, 2) for k, v in ours.items()},
                                 **{f"bare_{k}": round(v, 2) for k, v in bare.items()},
                                 "p99_ratio": round(ours["p99_ms"] / bare["p99_ms"], 2)})
    print(f"\n{chargers} chargers: csms {ours['messages_per_s']:.0f} msg/s p50 {ours['p50_ms']:.1f} ms "
          f"p99 {ours['p99_ms']:.1f} ms | bare ocpp {bare['messages_per_s']:.0f} msg/s p50 {bare['p50_ms']:.1f} ms "
          f"p99 {bare['p99_ms']:.1f} ms | p99 ratio {ours['p99_ms'] / bare['p99_ms']:.2f}")
    assert ours["failed_chargers"] == 0 and bare["failed_chargers"] == 0


def test_in_process_transport_messages_per_second(benchmark) -> None:
    from core.clock import ManualClock
    from sim.ocpp_link import InProcessLink

    central = CentralSystem(CsmsConfig(site_id="load", auto_register=True, accept_unknown_tokens=True))
    link = InProcessLink(central, ManualClock(0.0))
    link.connect("CP1", "ocpp1.6")
    payloads = [json.loads(f.format(id="x"))[3] for f in FRAMES]
    actions = ["Heartbeat", "StatusNotification", "MeterValues"]

    def send() -> None:
        for k in range(3000):
            link.call("CP1", actions[k % 3], payloads[k % 3])

    benchmark.pedantic(send, rounds=3, iterations=1)
    rate = 3000 / benchmark.stats.stats.mean
    benchmark.extra_info["messages_per_second"] = round(rate)
    print(f"\nin-process transport: {rate:,.0f} messages/s")
    link.close()
