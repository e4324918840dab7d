"""The live operations page on a real site and store: figures, the map, tables, reviews and evidence packs."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from baytwin.core.csms.config import hash_password
from baytwin.core.events import (
    PlateRead,
    SessionActive,
    SessionStarted,
    VehicleArrived,
    VehicleIdentified,
)
from baytwin.dashboards.settings import HOST_ENV, SITE_ENV, USERS_ENV
from baytwin.live.review import pending
from baytwin.live.site import load_site
from baytwin.live.status import write_status
from tests.dashboards.conftest import PAGES
from tests.live.conftest import T0, open_log, write_site

PAGE = PAGES / "4_Live_operations.py"
CAMERAS = """cameras:
  pole: {source: footage.mp4, bays: {B1: [[0, 0], [100, 0], [100, 80], [0, 80]], B2: [[100, 0], [200, 0], [200, 80], [100, 80]]}}"""


def _png() -> bytes:
    import cv2
    import numpy as np

    return cv2.imencode(".png", np.full((24, 96, 3), 200, np.uint8))[1].tobytes()


@pytest.fixture
def live_site(tmp_path: Path, dashboard_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site_file = write_site(tmp_path, cameras=CAMERAS)
    site = load_site(site_file)
    log = open_log(site)
    review = PlateRead(T0 + 2, "garage", "B2", "AB12CDF", 0.72, "review")
    log.append([VehicleArrived(T0, "garage", "B1"), VehicleIdentified(T0 + 1, "garage", "B1", "QQ11QQQ", 0.97),
                SessionStarted(T0 + 60, "garage", "B1", "CP1/7", 0.0, 16.0, "TAG"),
                SessionActive(T0 + 120, "garage", "B1", "CP1/7", 1.5, 16.0),
                VehicleArrived(T0 + 1, "garage", "B2"), review], {5: _png()})
    write_status(log, "garage", {"site": "garage", "running": False, "updated_at": T0 + 130, "chargers": [],
                                 "bays": {"B1": {"occupied": True, "locked": True, "current_a": 16.0},
                                          "B2": {"occupied": True}}, "cameras": {}, "counts": {}})
    monkeypatch.setenv(SITE_ENV, str(site_file))
    return site_file


def test_the_page_shows_the_sites_figures_map_and_sessions_without_plates(live_site: Path) -> None:
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Bays occupied": "2 / 2", "Open sessions": "1", "Open violations": "0", "Reads to review": "1"}
    sessions = at.dataframe[0].value
    assert list(sessions["session_id"]) == ["CP1/7"] and list(sessions["bay"]) == ["B1"]
    assert "not running" in at.warning[0].value
    page_text = " ".join(str(e.value) for e in at.markdown) + " ".join(str(d.value) for d in at.dataframe)
    assert "QQ11QQQ" not in page_text  # an identified plate is not shown; a read under review is (to decide it)


def test_an_operator_corrects_a_marginal_read_and_the_decision_is_recorded(live_site: Path) -> None:
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    (read,) = pending(open_log(load_site(live_site)), "garage")
    at.text_input(key=f"plate-{read.seq}").input("AB12 CDE")
    at.button(key=f"correct-{read.seq}").click().run()
    assert not at.exception
    assert pending(open_log(load_site(live_site)), "garage") == []
    assert f"read #{read.seq} corrected as AB12CDE by local" in [s.value for s in at.success]


def test_a_viewer_sees_the_queue_but_cannot_decide(live_site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    users.write_text(f'users:\n  - {{username: vera, role: viewer, password_hash: "{hash_password("pw", iterations=1000)}"}}\n')
    monkeypatch.setenv(HOST_ENV, "0.0.0.0")
    monkeypatch.setenv(USERS_ENV, str(users))
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    at.text_input(key="login_username").input("vera")
    at.text_input(key="login_password").input("pw")
    at = at.button[0].click().run()
    assert {m.label for m in at.metric} >= {"Reads to review"}
    assert not [b for b in at.button if b.key and b.key.startswith(("confirm-", "correct-", "reject-"))]
    assert "An operator settles reads." in [c.value for c in at.caption]
    page_text = " ".join(str(e.value) for e in at.markdown)
    assert "AB12CDF" not in page_text and "A•••••F" in page_text  # a viewer does not see whose car it is
    assert not at.get("imgs")  # nor the crop


def test_an_operator_prepares_a_signed_evidence_pack_that_verifies(live_site: Path, tmp_path: Path) -> None:
    from baytwin.core.events import ViolationOpened
    from baytwin.core.store.evidence import verify_pack
    from baytwin.core.store.signing import Signer, signing_paths

    site = load_site(live_site)
    key_file = site.resolve(site.spec.store.key_file)
    signer = Signer.generate()
    signer.save(*signing_paths(key_file))
    arrived = VehicleArrived(T0, "garage", "B1")
    open_log(site).append([ViolationOpened(T0 + 900, "garage", "B1", "garage/B1/1", "not_charging", "QQ11QQQ", 0.97,
                                           since=T0 + 600, evidence=(arrived,))])
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    at.button(key="prepare_pack").click().run()
    assert not at.exception and not at.error
    pack = tmp_path / "pack.zip"
    pack.write_bytes(at.session_state["pack"][1])
    verify_pack(pack, signer.public)


def test_an_operators_charger_command_from_the_page_is_recorded_with_its_answer(live_site: Path) -> None:
    import asyncio
    import threading

    from baytwin.core.csms.central import CentralSystem
    from baytwin.core.csms.operator_relay import CommandRelay
    from baytwin.core.csms.server import CsmsServer
    from baytwin.core.events import CommandAnswered, OperatorCommand
    from baytwin.core.store.writer import StoreWriter

    site = load_site(live_site)
    log = open_log(site)
    writer = StoreWriter(log)
    stop_flag: dict[str, asyncio.Event] = {}

    def relay() -> None:  # the running site's side, with no charger connected
        async def go() -> None:
            stop_flag["stop"] = asyncio.Event()
            server = CsmsServer(CentralSystem(site.csms))
            await CommandRelay(log, writer, server, site.id, lambda: T0 + 500, poll_s=0.1).run(stop_flag["stop"])
        asyncio.run(go())

    thread = threading.Thread(target=relay, daemon=True)
    thread.start()
    try:
        at = AppTest.from_file(str(PAGE), default_timeout=60).run()
        at.selectbox(key="cmd_action").select("availability").run()
        at.radio(key="cmd_operative").set_value("inoperative").run()
        at.button(key="cmd_send").click().run()
        assert not at.exception
        assert any("CP1 availability by local: not connected" in e.value for e in at.error)
    finally:
        while "stop" not in stop_flag:
            pass
        stop_flag["stop"].set()
        thread.join(timeout=10)
        writer.close()
    import json

    from sqlalchemy import text
    with log.engine.connect() as conn:
        rows = [(k, json.loads(p)) for k, p in conn.execute(text(
            "select kind, public from event_log where kind in ('operator_command', 'command_answered') order by seq"))]
    assert [(k, p.get("operator") or p.get("status")) for k, p in rows] == [
        (OperatorCommand.kind, "local"), (CommandAnswered.kind, "not connected")]


def test_a_review_card_shows_the_crop_or_says_why_not_never_both() -> None:
    from baytwin.dashboards.live_view import decodable_png

    good = _png()
    assert decodable_png(good) == good
    assert decodable_png(good[: len(good) // 2]) is None  # cut short in the store
    assert decodable_png(b"not an image") is None and decodable_png(None) is None
