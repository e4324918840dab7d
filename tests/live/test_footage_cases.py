"""Awkward cases on rendered footage, through the real pipeline (detector, reader, bay watch, occupancy,
rules), frame by frame on the video's own clock so the outcome is exact. One video second is ten site
seconds; drivers have two minutes (12 video s) to plug in; a bay unseen for a minute (6 video s) is empty.

    video s   EV1                          EV2                   EV3                  neighbour (right)
      1-3     AB12CDE reverses in          KX19PLM reverses in                        CD34EFG parked throughout
      5-7.5                                                      MN56OPR drives in
                                                                 and straight out
     ~15      not charging: AB12CDE        not charging: KX19PLM
     18-20    AB12CDE drives out
     20.5-23  GH68RTY reverses in (a swap: the bay looks empty for under a minute)
     ~35      not charging: GH68RTY
     38-41    the camera is down (no frames): every bay unknown; both violations stop there
     50       the stream ends with GH68RTY and KX19PLM still parked
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from baytwin.core.events import BayUnobserved, Event, VehicleIdentified
from baytwin.core.rules.engine import RulesEngine
from baytwin.core.site import Bay, SiteInfo
from baytwin.live.bay_watch import BayWatch
from baytwin.live.occupancy import Occupancy
from baytwin.live.reader import site_reader
from baytwin.live.site import load_site
from baytwin.sim.imagery.video import read_video, render_video
from baytwin.sim.imagery.video_script import VideoScript

from .conftest import POLICY, T0, write_site

FPS = 5.0
OUTAGE = (38.0, 41.0)  # video seconds without a picture
SITE_SECONDS_PER_VIDEO_SECOND = 10.0
SCRIPT = {
    "bays": ["EV1", "EV2", "EV3"], "neighbour": "right", "duration_s": 50,
    "visits": [
        {"bay": "EV1", "plate": "AB12 CDE", "format": "uk", "arrive_s": 1, "leave_s": 20, "drive_s": 2},
        {"bay": "EV1", "plate": "GH68 RTY", "format": "uk", "arrive_s": 20.5, "leave_s": 60, "drive_s": 2.5},
        {"bay": "EV2", "plate": "KX19 PLM", "format": "uk", "arrive_s": 1, "leave_s": 60, "drive_s": 2},
        {"bay": "EV3", "plate": "MN56 OPR", "format": "uk", "arrive_s": 5, "leave_s": 7.5, "drive_s": 1,
         "note": "drives through the bay without parking"},
        {"bay": "neighbour", "plate": "CD34 EFG", "format": "uk", "arrive_s": -10, "leave_s": 200},
    ],
}


def site_time(video_s: float) -> float:
    return T0 + video_s * SITE_SECONDS_PER_VIDEO_SECOND


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> list[Event]:
    folder = tmp_path_factory.mktemp("footage")
    video, sidecar = render_video(VideoScript.model_validate(SCRIPT), folder / "render", fps=FPS, seed=3)
    rois = yaml.safe_load(sidecar.read_text())["bays"]
    policy = POLICY.replace("arrival_allowance_min: 10", "arrival_allowance_min: 2")
    site_file = write_site(folder / "site", stations="CP1: {evses: {1: EV1, 2: EV2, 3: EV3}}", leave_after_s=60)
    (folder / "site" / "policy.yaml").write_text(policy)
    site = load_site(site_file)
    reader = site_reader(site)
    bays = ("EV1", "EV2", "EV3")
    engine = RulesEngine(site.policy, SiteInfo(site.id, "Europe/London", tuple(Bay(b) for b in bays)), site.registry)
    occupancy = Occupancy(site.id, arrive_samples=2, leave_after_s=60)
    clock = [0.0]
    watches: dict[str, BayWatch] = {}
    events: list[Event] = []

    def feed(inputs: list[Event]) -> None:
        for event in inputs:
            events.append(event)
            events.extend(engine.handle(event))

    for index, frame in enumerate(read_video(video)):
        clock[0] = index / FPS
        ts = site_time(clock[0])
        if not watches:
            height, width = frame.shape[:2]
            watches = {bay: BayWatch(bay, [tuple(p) for p in rois[bay]], (width, height), frames_per_vehicle=3,
                                     recheck_s=5.0, monotonic=lambda: clock[0]) for bay in bays}
        if OUTAGE[0] <= clock[0] < OUTAGE[1]:  # no frames: the site goes blind after the leave timeout's worth
            if clock[0] == OUTAGE[0]:
                feed(occupancy.camera_lost(list(bays), ts, "no picture from the camera"))
            continue
        for bay, watch in watches.items():
            observation = watch.sample(frame, ts, reader, occupancy.state(bay).identified)
            feed(occupancy.camera(bay, observation))
    end = site_time(clock[0] + 1 / FPS)
    feed(occupancy.camera_lost(list(bays), end, "the camera's stream ended"))
    events.extend(engine.advance(end + 3600))
    return events


def _violations(events: list[Event]) -> list[tuple[str, str | None]]:
    return [(e.bay, e.plate) for e in events if e.kind == "violation_opened"]  # type: ignore[attr-defined]


def test_a_swapped_car_gets_its_own_visit_and_its_own_violation(outcome: list[Event]) -> None:
    identified = [(e.bay, e.plate) for e in outcome if isinstance(e, VehicleIdentified)]
    assert ("EV1", "AB12CDE") in identified and ("EV1", "GH68RTY") in identified
    assert [v for v in _violations(outcome) if v[0] == "EV1"] == [("EV1", "AB12CDE"), ("EV1", "GH68RTY")]
    closes = {e.violation_id: e for e in outcome if e.kind == "violation_closed"}  # type: ignore[attr-defined]
    first = next(e for e in outcome if e.kind == "violation_opened" and e.plate == "AB12CDE")  # type: ignore[attr-defined]
    second = next(e for e in outcome if isinstance(e, VehicleIdentified) and e.plate == "GH68RTY")
    assert closes[first.violation_id].reason == "vehicle_left"  # type: ignore[attr-defined]
    assert closes[first.violation_id].ts <= second.ts  # the first driver is not charged for the second car


def test_a_camera_outage_stops_the_clock_where_the_picture_went(outcome: list[Event]) -> None:
    down = site_time(OUTAGE[0])
    for bay, plate in (("EV1", "GH68RTY"), ("EV2", "KX19PLM")):
        opened = [e for e in outcome if e.bay == bay and e.kind == "violation_opened" and e.plate == plate]  # type: ignore[attr-defined]
        closed = [e for e in outcome if e.kind == "violation_closed" and e.violation_id == opened[0].violation_id]  # type: ignore[attr-defined]
        assert len(opened) == 1 and closed[0].ts == down and closed[0].reason == "bay_unobserved"  # type: ignore[attr-defined]
        assert len([e for e in outcome if e.kind == "action_taken" and e.plate == plate]) == 1  # type: ignore[attr-defined]


def test_when_the_stream_ends_the_parked_cars_stop_accruing_and_the_neighbour_never_counts(outcome: list[Event]) -> None:
    end = max(e.ts for e in outcome if isinstance(e, BayUnobserved))
    closes = [e for e in outcome if e.kind == "violation_closed"]
    assert len(closes) == len([e for e in outcome if e.kind == "violation_opened"])
    assert all(e.ts <= end for e in closes)  # nothing accrues after the picture is gone
    assert "CD34EFG" not in {getattr(e, "plate", None) for e in outcome}


def test_a_car_driving_through_a_bay_is_never_a_violation(outcome: list[Event]) -> None:
    assert [v for v in _violations(outcome) if v[0] == "EV3"] == []
    assert "MN56OPR" not in {getattr(e, "plate", None) for e in outcome if e.kind == "violation_opened"}
