"""Bay sensors over an HTTP webhook: ``POST <path>/<webhook id>`` with a bearer token.

Vendor clouds and LoRaWAN network servers deliver sensor uplinks by HTTP. The
chargers' websocket port only takes GET requests, so the webhook has a small
server of its own on the event loop: one request per connection, its head and
body bounded in size and time, so a slow or hostile client cannot hold the
site up. The token is compared in constant time; a wrong one costs the caller
a 401 and a log line, nothing more.

The answer says what became of the reading: 204 once it is stored (a sender
that gets no 2xx can retry), 400 for a payload that says neither occupied nor
free, 401 for a missing or wrong token, 404 for an unknown path or sensor id,
405 for anything but POST, 413 for a body that is too large.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import ssl as ssl_module
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from baytwin.core.config import printable
from baytwin.live.sensor_payload import MAX_PAYLOAD
from baytwin.live.sensor_spec import WebhookSpec

LOG = logging.getLogger("baytwin.live.sensors")

MAX_HEAD = 8192  # request line and headers
TIMEOUT_S = 10.0  # to send a whole request

#: Hands a sensor's payload in; answers an HTTP status (and a short reason for the body).
Reading = Callable[[str, bytes], Awaitable[tuple[HTTPStatus, str]]]


class _BadRequest(Exception):
    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class SensorWebhook:
    def __init__(self, spec: WebhookSpec, reading: Reading, name: str = "sensor webhook") -> None:
        self.spec, self._reading, self.name = spec, reading, name  # name: how its log lines begin
        self._token = ("Bearer " + spec.token.get_secret_value()).encode()
        self._server: asyncio.Server | None = None
        self.port: int | None = None

    async def start(self, host: str | None = None, port: int | None = None,
                    ssl: ssl_module.SSLContext | None = None) -> int:
        """Listen (on the spec's host and port unless given); returns the port, useful when it was 0."""
        self._server = await asyncio.start_server(self._serve, host or self.spec.host,
                                                  self.spec.port if port is None else port, ssl=ssl, limit=MAX_HEAD)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        try:
            try:
                status, reason = await asyncio.wait_for(self._handle(reader, address), TIMEOUT_S)
            except _BadRequest as bad:
                status, reason = bad.status, bad.reason
            except (TimeoutError, asyncio.TimeoutError):
                status, reason = HTTPStatus.REQUEST_TIMEOUT, "request not sent in time"
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                status, reason = HTTPStatus.BAD_REQUEST, "malformed HTTP request"
            if status >= 400:
                LOG.warning("%s: %d from %s: %s", self.name, status.value, address, reason)
            body = f"{reason}\n".encode() if status != HTTPStatus.NO_CONTENT else b""
            head = f"HTTP/1.1 {status.value} {status.phrase}\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
            if body:
                kind = "application/json" if reason.startswith("{") else "text/plain; charset=utf-8"  # a JSON answer
                head += f"Content-Type: {kind}\r\n"
            if status == HTTPStatus.UNAUTHORIZED:
                head += 'WWW-Authenticate: Bearer realm="baytwin sensors"\r\n'
            writer.write(head.encode() + b"\r\n" + body)
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # the sender went away; nothing to answer
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def _handle(self, reader: asyncio.StreamReader, address: str) -> tuple[HTTPStatus, str]:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise _BadRequest(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request head too large") from None
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(HTTPStatus.BAD_REQUEST, "malformed request line")
        method, target = parts[0], parts[1].split("?", 1)[0]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, sep, value = line.partition(":")
                if not sep:
                    raise _BadRequest(HTTPStatus.BAD_REQUEST, "malformed header")
                headers[name.strip().lower()] = value.strip()
        prefix = self.spec.path + "/"
        sensor = target[len(prefix):] if target.startswith(prefix) else ""
        if not sensor or "/" in sensor:
            raise _BadRequest(HTTPStatus.NOT_FOUND, f"use POST {self.spec.path}/<sensor id>")
        if method != "POST":
            raise _BadRequest(HTTPStatus.METHOD_NOT_ALLOWED, "use POST")
        if not hmac.compare_digest(headers.get("authorization", "").encode("latin-1"), self._token):
            raise _BadRequest(HTTPStatus.UNAUTHORIZED, "missing or wrong token")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise _BadRequest(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length")
        length_text = headers.get("content-length", "0")
        if not length_text.isdigit():
            raise _BadRequest(HTTPStatus.BAD_REQUEST, "malformed Content-Length")
        length = int(length_text)
        if length > MAX_PAYLOAD:
            raise _BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body larger than {MAX_PAYLOAD} bytes")
        body = await reader.readexactly(length)
        return await self._reading(printable(sensor), body)
