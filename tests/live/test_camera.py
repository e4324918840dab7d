"""The camera adapter on real video files made by the renderer: frames, health, a stream that comes back late,
and motion gating that wakes the reader only when a bay changes."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from baytwin.live.camera import Camera
from baytwin.live.motion import MotionGate
from baytwin.sim.imagery.scenes import render_scene


def _video(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope="module")
def scene():  # type: ignore[no-untyped-def]
    return render_scene(np.random.default_rng(7), size=(640, 360))


def test_frames_arrive_in_order_and_health_reports_them(tmp_path: Path, scene) -> None:  # type: ignore[no-untyped-def]
    video = _video(tmp_path / "bay.avi", [scene.image] * 20, fps=20.0)
    camera = Camera("cam1", str(video), realtime=True).start()
    seen, seq = [], 0
    while (frame := camera.wait_for(seq, timeout_s=5)) is not None:
        seen.append(frame.seq)
        seq = frame.seq
    camera.stop()
    health = camera.health()
    assert health.ended and health.frames == 20 and health.reconnects == 0
    assert seen == sorted(seen) and seen[-1] == 20
    assert 8 <= health.fps <= 40  # played at about the file's 20 fps
    assert frame is None


def test_a_camera_that_is_not_there_yet_is_retried_until_it_appears(tmp_path: Path, scene) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "late.avi"
    camera = Camera("cam2", str(target), backoff_s=0.05, max_backoff_s=0.2).start()
    time.sleep(0.3)
    health = camera.health()
    assert not health.connected and "cannot open" in (health.error or "")
    _video(tmp_path / "tmp.avi", [scene.image] * 5).rename(target)
    frame = camera.wait_for(0, timeout_s=10)
    camera.stop()
    assert frame is not None and frame.image.shape == scene.image.shape


def test_camera_passwords_never_reach_the_health_report() -> None:
    camera = Camera("cam3", "rtsp://admin:hunter2@127.0.0.1:1/stream", backoff_s=0.05).start()
    time.sleep(0.5)
    camera.stop()
    assert "hunter2" not in (camera.health().error or "") and "***@127.0.0.1:1" in (camera.health().error or "")


def test_motion_gate_wakes_on_change_in_its_bay_only(scene) -> None:  # type: ignore[no-untyped-def]
    h, w = scene.image.shape[:2]
    gate = MotionGate([tuple(p) for p in scene.roi], (w, h), settle_frames=3)
    empty = scene.image.copy()
    assert gate.update(empty)  # the first frame: nothing to compare with yet, so look
    for _ in range(4):
        active = gate.update(empty)
    assert not active  # a still bay sends nothing to the reader
    arrived = empty.copy()
    cx, cy = np.asarray(scene.roi).mean(axis=0).astype(int)
    cv2.rectangle(arrived, (cx - 60, cy - 40), (cx + 60, cy + 40), (250, 30, 30), -1)  # something new in the bay
    assert gate.update(arrived)
    outside = arrived.copy()
    outside[:20, :20] = 255 - outside[:20, :20]  # a change in a corner far from the bay
    for _ in range(4):
        active = gate.update(outside)
    assert not active


class _MjpegStream:
    """A real HTTP MJPEG camera on loopback that can drop its stream mid-way and come back."""

    def __init__(self, frame: np.ndarray, frames_per_connection: int) -> None:
        import http.server
        import threading

        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        assert ok
        payload, limit = jpeg.tobytes(), frames_per_connection
        self.connections = 0
        stream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                stream.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    for _ in range(limit):
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                         + str(len(payload)).encode() + b"\r\n\r\n" + payload + b"\r\n")
                        time.sleep(0.02)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True  # the stream drops

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/video.mjpg"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def test_a_stream_that_drops_mid_way_is_reopened_and_frames_keep_coming(scene) -> None:  # type: ignore[no-untyped-def]
    stream = _MjpegStream(scene.image, frames_per_connection=15)
    camera = Camera("gate", stream.url, backoff_s=0.05, max_backoff_s=0.2).start()
    try:
        seq, deadline = 0, time.monotonic() + 20
        while camera.health().reconnects < 2 and time.monotonic() < deadline:
            frame = camera.wait_for(seq, timeout_s=1)
            if frame is not None:
                seq = frame.seq
        health = camera.health()
    finally:
        camera.stop()
        stream.close()
    assert health.reconnects >= 2 and stream.connections >= 3  # dropped twice, reopened twice
    assert health.frames > 30 and not health.ended  # a stream is not a file: a drop is not the end
