"""What ``live run`` answers on GET /health and /ready: the central system's report plus the cameras.

Only the running process knows whether a camera is connected right now, and it
keeps two kinds of store write: events (through the writer thread) and its
status every few seconds. Either failing means the store is refusing writes;
the status write also keeps "last write age" small at a quiet site, so a
growing age means the store has stopped answering.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from baytwin.core.csms.health import site_report
from baytwin.core.health import camera_state
from baytwin.core.store.writer import WriteTimes

if TYPE_CHECKING:  # the runner hands itself in; this module never starts one
    from baytwin.live.runner import LiveRunner


def live_report(runner: LiveRunner) -> dict[str, Any]:
    """The health report of a running site (no plates, no camera addresses)."""
    cameras = {name: camera_state(asdict(camera.health())) for name, camera in runner.cameras.items()}
    for name in runner.site.spec.cameras:
        cameras.setdefault(name, "starting")
    writes = None
    if runner.log is not None:
        writes = WriteTimes.latest(runner.status_writes, *([runner.writer.times] if runner.writer else []))
    return site_report(runner.central, runner.server.connected, writes, cameras)
