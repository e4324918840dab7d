"""How the twin's chargers reach a central system: in process, or over real websockets.

Both links carry real OCPP-J frames (serialized JSON, message ids, CALLRESULT
or CALLERROR back):

* ``InProcessLink`` hands each frame to the same station classes and
  central-system code ``baytwin csms serve`` runs, through a pipe instead of
  a socket, on an event loop of its own. It is synchronous from the
  simulation's point of view and fast enough for site-months.
* ``WebSocketLink`` connects every emulated charger to a running central
  system (``baytwin sim run SCENARIO --ocpp ws://127.0.0.1:9000``) with a
  blocking websocket client; a CALL the central system sends meanwhile
  (a remote start, say) is answered as a charger would.

Message ids are a counter, so the same seed sends the same frames.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from baytwin.core.clock import Clock
from baytwin.core.csms.central import CentralSystem, Command
from baytwin.core.csms.station import StationMixin
from baytwin.core.csms.v16 import Station16
from baytwin.core.csms.v201 import Station201

STATIONS: dict[str, type[StationMixin]] = {"ocpp1.6": Station16, "ocpp2.0.1": Station201}


class OcppRefused(Exception):
    """The central system answered with a CALLERROR."""

    def __init__(self, action: str, code: str, description: str) -> None:
        super().__init__(f"{action}: {code} ({description})")
        self.code = code


class OcppLink(Protocol):
    def connect(self, station: str, protocol: str) -> None: ...

    def call(self, station: str, action: str, payload: dict[str, Any]) -> dict[str, Any]: ...

    def close(self) -> None: ...


class CentralSystemUrlError(ValueError):
    """``--ocpp`` names no central system a charger could connect to; ``str(err)`` is the one-line reason."""


def check_central_system_url(url: str, flag: str = "--ocpp") -> str:
    """``url`` without a trailing slash, if a charger could connect to it: ``ws://`` or ``wss://``, a host, and
    no query or fragment (each charger appends ``/<its id>``). Checked before a run starts, so a mistyped URL
    is an error in the first second rather than a traceback once the first charger is built."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError as err:
        raise CentralSystemUrlError(f"{flag} {url!r}: not a URL ({err})") from None
    if parts.scheme not in ("ws", "wss"):
        shown = f"'{parts.scheme}://'" if parts.scheme else "no scheme"
        raise CentralSystemUrlError(f"{flag} {url!r}: a central system is reached over websockets: ws:// or wss://, "
                                    f"not {shown} (e.g. ws://127.0.0.1:9000)")
    if not parts.hostname:
        raise CentralSystemUrlError(f"{flag} {url!r}: no host (e.g. ws://127.0.0.1:9000)")
    if parts.query or parts.fragment:
        raise CentralSystemUrlError(f"{flag} {url!r}: no query or fragment, please: each charger adds /<its id>")
    return url.rstrip("/")


def _result(action: str, reply: str) -> dict[str, Any]:
    message = json.loads(reply)
    if message[0] == 4:
        raise OcppRefused(action, message[2], message[3])
    return message[2]


class _Pipe:
    """The server side's 'socket': what the station sends is kept for the caller to read."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, message: str) -> None:
        self.sent.append(message)

    async def recv(self) -> str:  # never used: frames are routed directly
        raise ConnectionError("in-process link")

    async def close(self, *_: Any) -> None:
        pass


class InProcessLink:
    def __init__(self, central: CentralSystem, clock: Clock) -> None:
        self.central, self.clock = central, clock
        self.loop = asyncio.new_event_loop()
        self.stations: dict[str, tuple[StationMixin, _Pipe]] = {}
        self.commands: list[Command] = []  # what the central system wanted sent to chargers
        self._ids = itertools.count(1)
        self.frames = 0

    def connect(self, station: str, protocol: str) -> None:
        pipe = _Pipe()
        handler = STATIONS[protocol](station, pipe)  # type: ignore[call-arg]
        handler.setup(self.central, self.clock, self.commands.append)
        self.stations[station] = (handler, pipe)
        self.central.connected(station, protocol, self.clock.now())

    def call(self, station: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        handler, pipe = self.stations[station]
        frame = json.dumps([2, str(next(self._ids)), action, payload], separators=(",", ":"))
        self.loop.run_until_complete(handler.route_message(frame))
        self.frames += 2
        return _result(action, pipe.sent.pop())

    def close(self) -> None:
        self.loop.close()


class WebSocketLink:
    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        self.url = check_central_system_url(url)
        self.timeout_s = timeout_s
        self.sockets: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self.frames = 0

    def connect(self, station: str, protocol: str) -> None:
        """Open ``station``'s websocket (see :func:`dial`)."""
        self.sockets[station] = dial(self.url, station, protocol, self.timeout_s)

    def call(self, station: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        from websockets.exceptions import ConnectionClosed

        ws = self.sockets[station]
        unique_id = f"sim-{next(self._ids)}"
        try:
            ws.send(json.dumps([2, unique_id, action, payload], separators=(",", ":")))
            self.frames += 2
            while True:
                message = self._frame(ws.recv(timeout=self.timeout_s))
                if message[0] == 2:  # the central system calls the charger meanwhile: accept, as a charger would
                    ws.send(json.dumps([3, message[1], {"status": "Accepted"}]))
                    continue
                if message[1] == unique_id:
                    return _result(action, json.dumps(message))
        except ConnectionClosed as err:
            code = err.rcvd.code if err.rcvd is not None else None
            raise ConnectionError(f"the central system at {self.url} closed charger {station}'s connection"
                                  + (f" (code {code})" if code is not None else "")) from None

    def _frame(self, raw: str | bytes) -> list[Any]:
        """A frame from the central system as a list, or a ConnectionError: a peer that sends something else
        is not an OCPP-J central system, and no reply of ours would help."""
        try:
            message = json.loads(raw)
        except (ValueError, RecursionError):
            message = None
        if (not isinstance(message, list) or len(message) < 3 or message[0] not in (2, 3, 4)
                or (message[0] == 4 and len(message) < 4) or (message[0] == 3 and not isinstance(message[2], dict))):
            raise ConnectionError(f"the central system at {self.url} sent a frame that is not OCPP-J: {raw[:80]!r}")
        return message

    def close(self) -> None:
        for ws in self.sockets.values():
            ws.close()


def dial(url: str, station: str, protocol: str, timeout_s: float, authorization: str | None = None) -> Any:
    """A blocking websocket to the central system at ``url`` (checked, no trailing slash) for ``station``,
    offering ``protocol``. A central system that is unreachable, refuses the station (HTTP 401, 403, 404 …)
    or does not speak ``protocol`` is a ConnectionError with one line saying which; ``authorization`` is an
    HTTP Authorization header (Basic auth, security profile 1), never shown in a message."""
    from websockets.exceptions import InvalidHandshake, InvalidStatus
    from websockets.sync.client import connect

    target = f"{url}/{quote(station, safe='')}"
    headers = {"Authorization": authorization} if authorization else None
    try:
        socket = connect(target, subprotocols=[protocol], open_timeout=timeout_s,  # type: ignore[list-item]
                         additional_headers=headers)
    except InvalidStatus as err:
        status = err.response.status_code
        reason = {401: "it wants credentials" if not authorization else "wrong user or password",
                  403: "it refuses it", 404: "it does not know this charger",
                  429: "too many failed logins, try later"}.get(status, err.response.reason_phrase or "refused")
        raise ConnectionError(f"the central system at {url} refused charger {station} "
                              f"(HTTP {status}: {reason})") from None
    except InvalidHandshake as err:
        raise ConnectionError(f"the central system at {url} refused charger {station}'s websocket "
                              f"({err})") from None
    except (OSError, TimeoutError) as err:
        raise ConnectionError(f"cannot reach the central system at {url}: {err}") from None
    if socket.subprotocol != protocol:
        socket.close()
        raise ConnectionError(f"the central system at {url} does not speak {protocol} (charger {station})")
    # A charger's socket lives as long as the charger, beyond any one block: entered here as its context
    # (websockets >= 17.1 warns about a connection used otherwise), it is closed by the link's close().
    return socket.__enter__()
