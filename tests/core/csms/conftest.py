"""A real central system on a loopback port, and real ``ocpp`` charge points talking to it over websockets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import websockets
from ocpp.v16 import ChargePoint as Client16
from ocpp.v201 import ChargePoint as Client201

from baytwin.core.clock import ManualClock
from baytwin.core.csms.central import CentralSystem, Command
from baytwin.core.csms.config import CsmsConfig
from baytwin.core.csms.server import CsmsServer
from baytwin.core.events import Event

T0 = 1_717_000_000.0


@dataclass
class Running:
    server: CsmsServer
    central: CentralSystem
    port: int
    events: list[Event] = field(default_factory=list)
    commands: list[tuple[Command, str]] = field(default_factory=list)

    def url(self, station: str, prefix: str = "") -> str:
        return f"ws://127.0.0.1:{self.port}{prefix}/{station}"

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


@contextlib.asynccontextmanager
async def csms(config: CsmsConfig | None = None, **settings: Any) -> AsyncIterator[Running]:
    config = config or CsmsConfig(site_id="site", stations={"CP1": {"evses": {1: "B1", 2: "B2"}},
                                                            "CP2": {"evses": {1: "B3"}}}, accept_unknown_tokens=True,
                                  **settings)
    events: list[Event] = []
    central = CentralSystem(config, events.extend)
    server = CsmsServer(central, ManualClock(T0), response_timeout=5)
    running = Running(server, central, 0, events)
    server.on_command = lambda command, result: running.commands.append((command, result))
    running.port = await server.start("127.0.0.1", 0)
    try:
        yield running
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def charger(url: str, version: str = "1.6", cls: Callable[..., Any] | None = None,
                  **connect: Any) -> AsyncIterator[Any]:
    """A charge point built on the ``ocpp`` package, connected and serving its side of the socket."""
    protocol = "ocpp1.6" if version == "1.6" else "ocpp2.0.1"
    base = cls or (Client16 if version == "1.6" else Client201)
    async with websockets.connect(url, subprotocols=[protocol], **connect) as ws:
        cp = base(url.rsplit("/", 1)[-1], ws, response_timeout=5)
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))
