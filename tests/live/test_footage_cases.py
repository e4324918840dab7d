"""Awkward cases on rendered footage, through the real pipeline (detector, reader, bay watch, occupancy,
rules), frame by frame on the video's own clock so the outcome is exact: a car swapped in the time the
leave timeout would have missed, a stream that ends with cars still parked, a neighbour's car in view.

    video s   EV1                                EV2                 neighbour (right)
      1-3     AB12CDE reverses in                KX19PLM reverses in  CD34EFG parked all along
     12-14    AB12CDE drives out
     14.5-17  GH68RTY reverses in (a swap: the bay looks empty for about 40 s of site time, under the
              60 s leave timeout, so only reading the settled car again shows the change)
     30       the stream ends with GH68RTY and KX19PLM still parked
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.events import BayUnobserved, Event, VehicleIdentified
from core.rules.engine import RulesEngine
from core.site import Bay, SiteInfo
from live.bay_watch import BayWatch
from live.occupancy import Occupancy
from live.reader import site_reader
from live.site import load_site
from sim.imagery.video import read_video, render_video
from sim.imagery.video_script import VideoScript

from .conftest import POLICY, T0, write_site

FPS = 5.0
SITE_SECONDS_PER_VIDEO_SECOND = 10.0
SCRIPT = {
    "bays": ["EV1", "EV2"], "neighbour": "right", "duration_s": 30,
    "visits": [
        {"bay": "EV1", "plate": "AB12 CDE", "format": "uk", "arrive_s": 1, "leave_s": 12, "drive_s": 2},
        {"bay": "EV1", "plate": "GH68 RTY", "format": "uk", "arrive_s": 14.5, "leave_s": 40, "drive_s": 2.5},
        {"bay": "EV2", "plate": "KX19 PLM", "format": "uk", "arrive_s": 1, "leave_s": 40, "drive_s": 2},
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
    policy = POLICY.replace("arrival_allowance_min: 10", "arrival_allowance_min: 1")
    site_file = write_site(folder / "site", stations="CP1: {evses: {1: EV1, 2: EV2}}", leave_after_s=60)
    (folder / "site" / "policy.yaml").write_text(policy)
    site = load_site(site_file)
    reader = site_reader(site)
    engine = RulesEngine(site.policy, SiteInfo(site.id, "Europe/London", (Bay("EV1"), Bay("EV2"))), site.registry)
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
                                     recheck_s=5.0, monotonic=lambda: clock[0]) for bay in ("EV1", "EV2")}
        for bay, watch in watches.items():
            observation = watch.sample(frame, ts, reader, occupancy.state(bay).identified)
            feed(occupancy.camera(bay, observation))
    end = site_time(clock[0] + 1 / FPS)
    feed(occupancy.camera_lost(["EV1", "EV2"], end, "the camera's stream ended"))
    events.extend(engine.advance(end + 3600))
    return events


def _violations(events: list[Event]) -> list[tuple[str, str | None]]:
    return [(e.bay, e.plate) for e in events if e.kind == "violation_opened"]  # type: ignore[attr-defined]


def test_a_swapped_car_gets_its_own_visit_and_its_own_violation(outcome: list[Event]) -> None:
    identified = [(e.bay, e.plate) for e in outcome if isinstance(e, VehicleIdentified)]
    assert sorted(identified) == [("EV1", "AB12CDE"), ("EV1", "GH68RTY"), ("EV2", "KX19PLM")]
    assert sorted(_violations(outcome)) == [("EV1", "AB12CDE"), ("EV1", "GH68RTY"), ("EV2", "KX19PLM")]
    closes = {e.violation_id: e for e in outcome if e.kind == "violation_closed"}  # type: ignore[attr-defined]
    first = next(e for e in outcome if e.kind == "violation_opened" and e.plate == "AB12CDE")  # type: ignore[attr-defined]
    second = next(e for e in outcome if isinstance(e, VehicleIdentified) and e.plate == "GH68RTY")
    assert closes[first.violation_id].reason == "vehicle_left"  # type: ignore[attr-defined]
    assert closes[first.violation_id].ts <= second.ts  # the first driver is not charged for the second car


def test_when_the_stream_ends_the_parked_cars_stop_accruing_and_the_neighbour_never_counts(outcome: list[Event]) -> None:
    unobserved = [e for e in outcome if isinstance(e, BayUnobserved)]
    assert sorted(e.bay for e in unobserved) == ["EV1", "EV2"]
    end = unobserved[0].ts
    closes = [e for e in outcome if e.kind == "violation_closed"]
    assert len(closes) == 3 and all(e.ts <= end for e in closes)  # nothing accrues after the picture is gone
    assert sorted(e.reason for e in closes) == ["bay_unobserved", "bay_unobserved", "vehicle_left"]  # type: ignore[attr-defined]
    assert "CD34EFG" not in {getattr(e, "plate", None) for e in outcome}
