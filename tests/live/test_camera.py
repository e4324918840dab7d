"""The camera adapter on real video files made by the renderer: frames, health, a stream that comes back late,
and motion gating that wakes the reader only when a bay changes."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from live.camera import Camera
from live.motion import MotionGate
from sim.imagery.scenes import render_scene


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
