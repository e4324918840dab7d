"""Whether a site is ok, degraded or down, decided once for every place that asks.

The central system's ``/health`` endpoint (asked by a container runtime or a
monitoring system, from the running process) and ``baytwin live status``
(which reads the status the process left in the store) must never disagree
on what counts as a problem, so both hand their facts to :func:`assess`.

* **down**: the site cannot do its job at all. It is not running, or the store
  refuses writes: nothing may be acted on or acknowledged that is not stored.
* **degraded**: it runs, but sees less than it should: a camera not connected
  (failing, ended, not yet open) or a charger listed in the site file that is
  not connected. Enforcement goes on for what it can still see.
* **ok**: everything configured is connected and the store takes writes.

The facts are names and states only (camera and charger ids, ages, counts):
a report built from them holds no plate, token or camera address, so it can be
served without a login.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

OK, DEGRADED, DOWN = "ok", "degraded", "down"
CONNECTED = "connected"


@dataclass(frozen=True, slots=True)
class Assessment:
    status: str  # ok, degraded or down
    problems: list[str] = field(default_factory=list)  # one short phrase each, worst first


def camera_state(health: Mapping[str, Any]) -> str:
    """One word for a camera's health (``live.camera.Health`` as a dict): connected, ended, failing or starting.

    A camera that is not connected and has no error has not opened yet (or was stopped);
    the camera's own error text is left out, since it names the stream's address."""
    if health.get("connected"):
        return CONNECTED
    if health.get("ended"):
        return "ended"
    if health.get("error"):
        return "failing"
    return "starting"


def assess(*, running: bool = True, store_failing: bool = False, cameras: Mapping[str, str] | None = None,
           chargers_expected: Iterable[str] = (), chargers_connected: Iterable[str] = ()) -> Assessment:
    """The site's status from what is known about it; problems named worst first."""
    if not running:
        return Assessment(DOWN, ["not running"])
    down = ["store: the last write failed"] if store_failing else []
    degraded = [f"camera {name}: {state}" for name, state in sorted((cameras or {}).items()) if state != CONNECTED]
    connected = set(chargers_connected)
    degraded += [f"charger {station}: not connected" for station in sorted(set(chargers_expected) - connected)]
    status = DOWN if down else DEGRADED if degraded else OK
    return Assessment(status, down + degraded)


def http_status(status: str, strict: bool = True) -> int:
    """200 or 503 for a status. ``strict`` (``/health``): only ok is 200. Not strict (``/ready``): a
    degraded site still serves its chargers and stores what it sees, so only down is 503."""
    if status == OK or (status == DEGRADED and not strict):
        return 200
    return 503
