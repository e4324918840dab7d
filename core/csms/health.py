"""``GET /health`` and ``GET /ready`` on the central system's own port.

A container runtime, a load balancer or a monitoring system needs to ask a
running site whether it is well without speaking OCPP and without a login.
The websocket server sees every HTTP request before its upgrade
(``process_request``), so a plain GET for one of these two paths is answered
here with a small JSON report, and a websocket upgrade to the same path is
left alone (a charger may be called ``health``).

The report is built from what the process already holds in memory (who is
connected, open transactions, when the store last took a write), so asking
costs no database query. It names chargers and cameras but never a plate, a
token or a camera's address.

``/health`` answers 200 only when the site is ok, 503 when degraded or down.
``/ready`` answers 200 while the site can serve chargers and store events
(ok or degraded) and 503 when it is down: a charger offline at night should
turn a monitoring board amber, not get the process restarted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from baytwin.core.csms.central import CentralSystem
from baytwin.core.health import assess, http_status
from baytwin.core.store.writer import WriteTimes

PATHS = {"/health": True, "/ready": False}  # path -> strict (only ok is 200)

Report = Callable[[], dict[str, Any]]


def probe_path(request: Request) -> str | None:
    """``/health`` or ``/ready`` for a plain HTTP GET of one of them (query ignored); None otherwise,
    and always None for a websocket upgrade."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return None
    path = request.path.split("?", 1)[0].rstrip("/") or "/"
    return path if path in PATHS else None


def answer(connection: ServerConnection, path: str, report: Report) -> Response:
    """The JSON response for ``path`` (one of :data:`PATHS`)."""
    body = report()
    response = connection.respond(http_status(body["status"], PATHS[path]), json.dumps(body, default=str) + "\n")
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = "application/json"
    response.headers["Cache-Control"] = "no-store"
    return response


def site_report(central: CentralSystem, connected: Iterable[str], writes: WriteTimes | None,
                cameras: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The report both ``csms serve`` and ``live run`` serve: status, problems, chargers, cameras, store, sessions.

    ``writes`` is None when the process keeps no store; ``cameras`` (name -> state) only where there are some."""
    online = sorted(connected)
    expected = sorted(central.config.stations)
    verdict = assess(store_failing=writes is not None and writes.failing, cameras=cameras,
                     chargers_expected=expected, chargers_connected=online)
    return {
        "status": verdict.status,
        "problems": verdict.problems,
        "site": central.config.site_id,
        "chargers": {"connected": online, "configured": expected,
                     "missing": [station for station in expected if station not in online]},
        "cameras": dict(cameras or {}),
        "store": None if writes is None else {"last_write_age_s": writes.age_s(), "failing": writes.failing},
        "open_sessions": len(central.open_transactions()),
    }
