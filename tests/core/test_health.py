"""One verdict for every place that asks whether a site is well: down beats degraded beats ok."""

from __future__ import annotations

from baytwin.core.health import assess, camera_state, http_status


def test_a_site_that_is_not_running_is_down_whatever_else_is_known() -> None:
    verdict = assess(running=False, cameras={"east": "failing"}, chargers_expected=["CP1"])
    assert (verdict.status, verdict.problems) == ("down", ["not running"])


def test_a_store_refusing_writes_is_down_and_named_before_lesser_problems() -> None:
    verdict = assess(store_failing=True, cameras={"east": "ended"}, chargers_expected=["CP1"], chargers_connected=["CP1"])
    assert verdict.status == "down" and verdict.problems == ["store: the last write failed", "camera east: ended"]


def test_cameras_and_listed_chargers_not_connected_degrade_the_site_and_unlisted_ones_do_not_count() -> None:
    verdict = assess(cameras={"west": "starting", "east": "connected"}, chargers_expected=["CP2", "CP1"],
                     chargers_connected=["CP1", "AUTO-9"])
    assert verdict.status == "degraded"
    assert verdict.problems == ["camera west: starting", "charger CP2: not connected"]
    assert assess(cameras={"east": "connected"}, chargers_expected=["CP1"], chargers_connected=["CP1"]).status == "ok"


def test_camera_states_come_from_their_health_without_their_error_text() -> None:
    assert camera_state({"connected": True, "ended": False, "error": None}) == "connected"
    assert camera_state({"connected": False, "ended": True, "error": None}) == "ended"
    assert camera_state({"connected": False, "ended": False, "error": "cannot open rtsp://***@10.0.0.2/s"}) == "failing"
    assert camera_state({"connected": False, "ended": False, "error": None}) == "starting"


def test_health_is_200_only_when_ok_and_ready_is_200_unless_down() -> None:
    assert [http_status(s) for s in ("ok", "degraded", "down")] == [200, 503, 503]
    assert [http_status(s, strict=False) for s in ("ok", "degraded", "down")] == [200, 200, 503]
