"""The live page follows the site by itself and shows what the camera sees, bays drawn on the frame."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from baytwin.core.csms.config import hash_password
from baytwin.core.events import PlateRead, VehicleArrived
from baytwin.dashboards.camera_view import draw_bays, jpeg
from baytwin.dashboards.live_view import STATE_COLOURS
from baytwin.dashboards.settings import HOST_ENV, SITE_ENV, USERS_ENV
from baytwin.live.review import resolve
from baytwin.live.site import load_site
from baytwin.live.status import write_status
from tests.dashboards.conftest import PAGES
from tests.live.conftest import T0, open_log, write_site

PAGE = PAGES / "4_Live_operations.py"
CAMERAS = """cameras:
  pole: {source: footage.mp4, bays: {B1: [[20, 20], [140, 20], [140, 100], [20, 100]], B2: [[180, 20], [300, 20], [300, 100], [180, 100]]}}"""


def write_footage(path: Path, frames: int = 120) -> None:
    """A real video file for the site's camera: grey frames, ten a second."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (320, 180))
    for i in range(frames):
        writer.write(np.full((180, 320, 3), 90 + i % 20, np.uint8))
    writer.release()


@pytest.fixture
def camera_site(tmp_path: Path, dashboard_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site_file = write_site(tmp_path, cameras=CAMERAS)
    write_footage(tmp_path / "footage.mp4")
    log = open_log(load_site(site_file))
    log.append([VehicleArrived(T0, "garage", "B2"), PlateRead(T0 + 2, "garage", "B2", "AB12CDF", 0.72, "review")])
    write_status(log, "garage", {"site": "garage", "running": False, "updated_at": T0 + 10, "chargers": [],
                                 "bays": {"B2": {"occupied": True}}, "cameras": {}, "counts": {}})
    monkeypatch.setenv(SITE_ENV, str(site_file))
    return site_file


def test_the_bays_are_drawn_on_the_frame_in_their_states_colours() -> None:
    frame = np.full((120, 320, 3), 100, np.uint8)
    drawn = draw_bays(frame, {"B1": [[20, 20], [140, 20], [140, 100], [20, 100]]}, {"B1": "violation"})
    assert (frame == 100).all()  # the frame itself is not drawn on
    red = np.array([int(STATE_COLOURS["violation"][i:i + 2], 16) for i in (1, 3, 5)])
    assert np.abs(drawn[20, 80].astype(int) - red).max() < 40  # the outline, in the state's colour
    inside = drawn[60, 40].astype(int)
    assert inside[0] > 100 and inside[1] < 100  # lightly filled: redder than the grey frame
    assert (drawn[110, 300] == 100).all()  # outside every bay: untouched
    assert cv2.imdecode(np.frombuffer(jpeg(drawn), np.uint8), cv2.IMREAD_COLOR).shape == (120, 320, 3)


def test_an_operator_sees_the_latest_frame_with_the_bays_on_it(camera_site: Path) -> None:
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.toggle(key="auto_refresh").value is True  # the page follows the site without a click
    captions = []
    for _ in range(40):
        captions = [c for image in at.get("image") for c in image.captions]
        if any(c.startswith("camera pole") for c in captions):
            break
        time.sleep(0.25)
        at.run()
    assert any(c.startswith("camera pole") for c in captions), captions


def test_a_viewer_sees_the_map_but_not_the_picture(camera_site: Path, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    users.write_text(f'users:\n  - {{username: vera, role: viewer, password_hash: "{hash_password("pw", iterations=1000)}"}}\n')
    monkeypatch.setenv(HOST_ENV, "0.0.0.0")
    monkeypatch.setenv(USERS_ENV, str(users))
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    at.text_input(key="login_username").input("vera")
    at.text_input(key="login_password").input("pw")
    at = at.button[0].click().run()
    assert "camera pole: the picture is shown to operators (it shows plates)." in [c.value for c in at.caption]
    assert not any(c.startswith("camera pole") for image in at.get("image") for c in image.captions)


def test_a_read_settled_elsewhere_leaves_the_queue_on_the_next_refresh(camera_site: Path) -> None:
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert [b.key for b in at.button if b.key and b.key.startswith("confirm-")]
    site = load_site(camera_site)
    log = open_log(site)
    seq = int(next(b.key for b in at.button if b.key and b.key.startswith("confirm-")).split("-")[1])
    resolve(log, site.id, seq, "confirmed", None, "someone-else", T0 + 60)
    at.run()
    assert not [b for b in at.button if b.key and b.key.startswith("confirm-")]
    assert "No read waiting for review." in [m.value for m in at.markdown]
