"""The central system on websockets: OCPP 1.6J and 2.0.1 side by side, chosen per connection.

A charger connects to ``ws://host:port/<id>`` or ``ws://host:port/ocpp/<id>``
offering ``ocpp1.6`` and/or ``ocpp2.0.1`` as websocket subprotocol; the server
takes the charger's first offer it speaks and hands the connection to the
matching station class. Before the upgrade, the HTTP request is checked: an
unknown charge point is refused (404) unless the site allows
auto-registration, and a station with a password (or any station, when the
site requires auth) must present HTTP Basic credentials whose user is its
own id (security profile 1; with ``ssl`` given, profile 2: TLS + Basic).
Frames larger than ``max_frame_bytes`` close that one connection with
1009 (message too big); every other charger keeps being served.

The id in the path must be a valid OCPP identity (``identity``), or the
request is refused before anything else. Password hashes are checked in a
small thread pool, never on the event loop (a deliberately slow hash would
otherwise stall every connected charger), and failed attempts are limited
(``AuthLimiter``): an address or a station id that keeps failing is answered
429 without hashing until its window passes.

Commands for chargers (remote start/stop, availability …) go through
:meth:`CsmsServer.send`, from a task of their own.
"""

from __future__ import annotations

import asyncio
import http
import logging
import ssl as ssl_module
from collections.abc import Callable

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidHeader
from websockets.headers import build_www_authenticate_basic, parse_authorization_basic
from websockets.http11 import Request, Response

from baytwin.core.clock import Clock, WallClock
from baytwin.core.auth_limit import AuthLimiter
from baytwin.core.csms.central import CentralSystem, Command
from baytwin.core.csms.health import Report, answer, probe_path, site_report
from baytwin.core.csms.identity import valid_station_id
from baytwin.core.csms.station import spawn
from baytwin.core.csms.v16 import Station16
from baytwin.core.csms.v201 import Station201

LOG = logging.getLogger("baytwin.csms")
SUBPROTOCOLS = ("ocpp2.0.1", "ocpp1.6")
STATIONS = {"ocpp1.6": Station16, "ocpp2.0.1": Station201}


def station_id(path: str) -> str | None:
    """The charge point id from ``/<id>`` or ``/ocpp/<id>`` (query string ignored); None if neither."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if len(parts) == 2 and parts[0].lower() == "ocpp":
        parts = parts[1:]
    if len(parts) != 1 or not valid_station_id(parts[0]):
        return None
    return parts[0]


class CsmsServer:
    def __init__(self, central: CentralSystem, clock: Clock | None = None, response_timeout: float = 30.0) -> None:
        self.central = central
        self.clock = clock or WallClock()
        self.response_timeout = response_timeout
        self.connected: dict[str, Station16 | Station201] = {}
        self._server: Server | None = None
        self.auth_limiter = AuthLimiter()
        self._hashing = asyncio.Semaphore(2)  # at most two password hashes at once: the rest wait their turn
        self.on_command: Callable[[Command, str], None] | None = None  # (command, result) for logs and tests
        # what GET /health and /ready report (core/csms/health.py); a process with a store or cameras says more
        self.health: Report = lambda: site_report(self.central, self.connected, None)

    # --- lifecycle -----------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 9000, ssl: ssl_module.SSLContext | None = None) -> int:
        """Listen; returns the port (useful with port 0)."""
        self._server = await serve(self._serve, host, port, subprotocols=list(SUBPROTOCOLS),  # type: ignore[arg-type]
                                   process_request=self._check_request, select_subprotocol=self._select,
                                   max_size=self.central.config.max_frame_bytes, ssl=ssl,
                                   ping_interval=60, ping_timeout=60)
        return int(self._server.sockets[0].getsockname()[1])  # type: ignore[index]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    # --- commands --------------------------------------------------------------------------------------------

    async def send(self, command: Command) -> str:
        """Send a command to its charger and return the charger's answer (status)."""
        station = self.connected.get(command.station)
        if station is None:
            raise LookupError(f"charge point {command.station!r} is not connected")
        result = await station.execute(command)
        if self.on_command is not None:
            self.on_command(command, result)
        return result

    def dispatch(self, command: Command) -> None:
        """Queue a command from inside a handler: it is sent from its own task, never from the receive loop."""
        spawn(self.send(command))

    # --- connection handling ---------------------------------------------------------------------------------

    def _select(self, connection: ServerConnection, offered: list[str]) -> str | None:  # type: ignore[override]
        return next((p for p in offered if p in SUBPROTOCOLS), None)

    async def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        probe = probe_path(request)
        if probe is not None:
            return answer(connection, probe, self.health)
        config = self.central.config
        cp_id = station_id(request.path)
        if cp_id is None:
            return connection.respond(http.HTTPStatus.NOT_FOUND, "use ws://host:port/<charge point id> "
                                      "(1-48 letters, digits or * - _ = + | @ .)\n")
        if not config.knows(cp_id):
            LOG.warning("refused unknown charge point %s", cp_id)
            return connection.respond(http.HTTPStatus.NOT_FOUND, f"unknown charge point {cp_id}\n")
        needs_password = config.require_auth or (cp_id in config.stations and config.stations[cp_id].password_hash)
        if not needs_password:
            return None
        address = _address(connection)
        now = self.clock.now()
        if self.auth_limiter.blocked(address, cp_id, now):
            LOG.warning("refused %s from %s: too many failed logins, try later", cp_id, address)
            response = connection.respond(http.HTTPStatus.TOO_MANY_REQUESTS, "too many failed logins; try later\n")
            response.headers["Retry-After"] = str(int(self.auth_limiter.window_s))
            return response
        try:
            user, password = parse_authorization_basic(request.headers.get("Authorization", ""))
        except InvalidHeader:
            user, password = None, None
        # counted as a failure until proven right, so a burst of concurrent guesses cannot all get past the limit
        self.auth_limiter.failed(address, cp_id, now)
        ok = user == cp_id
        if ok:
            async with self._hashing:
                ok = await asyncio.to_thread(config.check_password, cp_id, password)
        if not ok:
            LOG.warning("refused %s from %s: missing or wrong Basic-auth credentials", cp_id, address)
            response = connection.respond(http.HTTPStatus.UNAUTHORIZED, "credentials required\n")
            response.headers["WWW-Authenticate"] = build_www_authenticate_basic(f"baytwin {config.site_id}")
            return response
        self.auth_limiter.succeeded(address, cp_id, now)
        return None

    async def _serve(self, connection: ServerConnection) -> None:
        cp_id = station_id(connection.request.path)  # type: ignore[union-attr]
        protocol = connection.subprotocol
        if cp_id is None or protocol not in STATIONS:
            await connection.close(1002, "offer an OCPP subprotocol: ocpp1.6 or ocpp2.0.1")
            return
        station = STATIONS[protocol](cp_id, connection, response_timeout=self.response_timeout)
        station.setup(self.central, self.clock, self.dispatch)
        previous = self.connected.get(cp_id)
        if previous is not None:  # a charger that reconnects replaces its stale connection
            spawn(previous._connection.close(1000, "replaced by a new connection"))
        self.connected[cp_id] = station
        self.central.connected(cp_id, protocol, self.clock.now())
        LOG.info("%s connected (%s)", cp_id, protocol)
        try:
            await station.start()
        except ConnectionClosed as closed:
            LOG.info("%s disconnected (%s)", cp_id, closed.rcvd.reason if closed.rcvd else "no close frame")
        finally:
            if self.connected.get(cp_id) is station:
                del self.connected[cp_id]
                self.central.disconnected(cp_id, self.clock.now())


def _address(connection: ServerConnection) -> str:
    peer = connection.remote_address
    return str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)


async def run_forever(server: CsmsServer, host: str, port: int, ssl: ssl_module.SSLContext | None = None,
                      stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (or forever)."""
    await server.start(host, port, ssl)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await server.stop()

