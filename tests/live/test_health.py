"""GET /health of a running live site: cameras that ended or fail, and chargers missing, make it degraded."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import cv2
import numpy as np
from ocpp.v16 import call as call16

from baytwin.core.clock import WallClock
from tests.core.csms.test_health import get

from .conftest import charger16, live_site, run, until, write_site


def _short_clip(path: Path) -> Path:
    """A three-frame video file: a camera that opens, plays and ends."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 5, (64, 48))
    for _ in range(3):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    return path


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_ended_and_a_failing_camera_make_the_site_degraded_without_naming_their_sources(tmp_path: Path) -> None:
    clip = _short_clip(tmp_path / "clip.mp4")
    port = _closed_port()
    cameras = f"""cameras:
  clip: {{source: {clip.name}, bays: {{B1: [[0, 0], [60, 0], [60, 40]]}}}}
  gone: {{source: "http://admin:secret@127.0.0.1:{port}/video.mjpg", bays: {{B2: [[0, 0], [60, 0], [60, 40]]}}}}"""
    site = write_site(tmp_path, cameras=cameras)

    async def scenario() -> None:
        async with live_site(site, clock=WallClock()) as live:
            async with charger16(live.url()) as cp:
                await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
                await until(lambda: live.runner.cameras["clip"].health().ended
                            and live.runner.cameras["gone"].health().error is not None, timeout=20)
                code, body, _ = await asyncio.to_thread(get, live.runner.port, "/health")
                ready, _, _ = await asyncio.to_thread(get, live.runner.port, "/ready")
        assert (code, ready, body["status"]) == (503, 200, "degraded")
        assert body["cameras"] == {"clip": "ended", "gone": "failing"}
        assert body["problems"] == ["camera clip: ended", "camera gone: failing"]
        assert body["chargers"]["connected"] == ["CP1"] and body["store"]["failing"] is False
        assert str(port) not in str(body) and "secret" not in str(body)

    run(scenario())


def test_a_site_with_every_charger_connected_and_the_store_written_is_ok(tmp_path: Path) -> None:
    site = write_site(tmp_path)

    async def scenario() -> None:
        async with live_site(site, clock=WallClock()) as live:
            await until(lambda: live.runner.status_writes.ok_at is not None)
            async with charger16(live.url()) as cp:
                await cp.call(call16.StartTransaction(connector_id=1, id_tag="TAG-X", meter_start=0,
                                                      timestamp="2024-05-29T08:00:00Z"))
                code, body, _ = await asyncio.to_thread(get, live.runner.port, "/health")
        assert (code, body["status"], body["open_sessions"]) == (200, "ok", 1)
        assert 0 <= body["store"]["last_write_age_s"] < 5 and body["site"] == "garage"

    run(scenario())
