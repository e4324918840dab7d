"""The synthetic bay-camera video: a real file, plates the real reader reads in the right bay only."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from baytwin.core.config import ConfigError
from baytwin.core.ocr.pipeline import PlateReader
from baytwin.core.ocr.recognizer import FORMAT_CONFIG, FORMAT_MODEL, Recognizer
from baytwin.core.ocr.roi import Roi
from baytwin.live.motion import MotionGate
from baytwin.sim.imagery.video import SIDECAR_NAME, VIDEO_NAME, read_video, render_video
from baytwin.sim.imagery.video_script import VideoScript, load_script

FPS = 2.0
SCRIPT = {
    "bays": ["EV1", "EV2"],
    "neighbour": "right",
    "duration_s": 16,
    "visits": [
        {"bay": "EV1", "plate": "AB12 CDE", "format": "uk", "arrive_s": 0.5, "leave_s": 12},
        {"bay": "EV2", "plate": "KX19 PLM", "format": "uk", "arrive_s": 7, "leave_s": 30},
        {"bay": "neighbour", "plate": "CD34 EFG", "format": "uk", "arrive_s": -10, "leave_s": 100},
    ],
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, list[np.ndarray]]:
    out = tmp_path_factory.mktemp("video")
    video, sidecar = render_video(VideoScript.model_validate(SCRIPT), out, fps=FPS, size=(1280, 720), seed=0)
    truth = yaml.safe_load(sidecar.read_text())
    return video, truth, list(read_video(video))


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return PlateReader(recognizer=Recognizer(FORMAT_MODEL, FORMAT_CONFIG))


def _rois(truth: dict) -> dict[str, Roi]:
    return {bay: Roi(tuple(tuple(p) for p in polygon)) for bay, polygon in truth["bays"].items()}


def _in_bay(truth: dict, bay: str, t: float) -> bool:
    return any(v["bay"] == bay and v["arrive_s"] <= t < v["leave_s"] for v in truth["visits"])


def _quiet(truth: dict, t: float) -> bool:
    """No car is driving in or out at ``t``."""
    return not any(v["arrive_s"] <= t < v["parked_s"] or v["leaving_s"] <= t < v["leave_s"] for v in truth["visits"])


def test_the_video_opens_with_the_scripted_frame_count_and_rate(rendered) -> None:  # type: ignore[no-untyped-def]
    video, truth, frames = rendered
    assert video.name == VIDEO_NAME and (video.parent / SIDECAR_NAME).is_file()
    capture = cv2.VideoCapture(str(video))
    assert capture.isOpened()
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(FPS)
    capture.release()
    assert len(frames) == truth["frames"] == 32
    assert frames[0].shape == (720, 1280, 3)
    assert truth["fps"] == FPS and set(truth["bays"]) == {"EV1", "EV2"}


def test_parked_plates_read_correctly_in_their_own_bay(rendered, reader: PlateReader) -> None:  # type: ignore[no-untyped-def]
    _, truth, frames = rendered
    rois = _rois(truth)
    for visit in (v for v in truth["visits"] if v["bay"] != "neighbour"):
        parked = [frames[i] for i in range(len(frames))
                  if visit["parked_s"] <= i / FPS < visit["leaving_s"] and _quiet(truth, i / FPS)]
        assert len(parked) >= 3, visit
        result = reader.read_vehicle(parked[:3], rois[visit["bay"]])
        assert (result.plate, result.status) == (visit["plate"], "accepted")
        x1, y1, x2, y2 = result.bbox
        assert rois[visit["bay"]].contains(((x1 + x2) / 2, (y1 + y2) / 2))


def test_an_empty_bay_yields_no_plate(rendered, reader: PlateReader) -> None:  # type: ignore[no-untyped-def]
    _, truth, frames = rendered
    checked = 0
    for index, frame in enumerate(frames):
        for bay, roi in _rois(truth).items():
            if not _in_bay(truth, bay, index / FPS):
                assert reader.read_frame(frame, roi).plate is None, (bay, index / FPS)
                checked += 1
    assert checked >= 10  # EV2 before its car comes, EV1 after its car has gone


def test_the_neighbours_plate_never_lands_in_a_watched_bay(rendered, reader: PlateReader) -> None:  # type: ignore[no-untyped-def]
    _, truth, frames = rendered
    neighbour = next(v for v in truth["visits"] if v["bay"] == "neighbour")
    centre = np.mean(neighbour["parked_plate_corners"], axis=0)
    assert 0 < centre[0] < 1280 and 0 < centre[1] < 720  # in the picture ...
    rois = _rois(truth)
    assert not any(roi.contains(tuple(centre)) for roi in rois.values())  # ... but in no watched bay
    assert reader.read_frame(frames[0]).plate == "CD34EFG"  # readable when nothing restricts the reader
    for frame in frames[::2]:
        assert all(reader.read_frame(frame, roi).plate != "CD34EFG" for roi in rois.values())


def test_motion_gating_ignores_sensor_noise_and_wakes_for_an_arrival(rendered) -> None:  # type: ignore[no-untyped-def]
    _, truth, frames = rendered
    gate = MotionGate([tuple(p) for p in truth["bays"]["EV2"]], (1280, 720), settle_frames=2)
    active = [gate.update(frame) for frame in frames]
    times = [i / FPS for i in range(len(frames))]
    still = [a for a, t in zip(active, times) if 1.5 <= t < 6.5 and _quiet(truth, t - 1 / FPS) and _quiet(truth, t)]
    assert still and not any(still)  # EV2 empty and nothing moving: noise alone never wakes the reader
    assert any(a for a, t in zip(active, times) if 7 <= t < 10)  # EV2's car reversing in does


def test_a_broken_script_names_the_field(tmp_path: Path) -> None:
    cases = {
        "visits: [{bay: EV9, plate: AB12CDE, arrive_s: 0, leave_s: 20}]\nbays: [EV1, EV2]": "visits.0.bay",
        "bays: [EV1, EV2]\nvisits: [{bay: EV1, plate: NOTAPLATE, arrive_s: 0, leave_s: 20}]": "visits.0.plate",
        "bays: [EV1, EV2]\nvisits: [{bay: EV1, plate: AB12CDE, arrive_s: 0, leave_s: 4}]": "visits.0.leave_s",
        "bays: [EV1, EV2]\nvisits: [{bay: EV1, plate: AB12CDE, arrive_s: 0, leave_s: 20},"
        " {bay: EV1, plate: KX19PLM, arrive_s: 10, leave_s: 30}]": "visits.1.arrive_s",
        "bays: [EV1, EV2]\nvisits: [{bay: neighbour, plate: AB12CDE, arrive_s: 0, leave_s: 20}]": "visits.0.bay",
    }
    for text, field in cases.items():
        path = tmp_path / "script.yaml"
        path.write_text(text)
        with pytest.raises(ConfigError) as err:
            load_script(path)
        assert err.value.field == field, str(err.value)


def test_the_bundled_demo_script_is_valid() -> None:
    script = load_script(Path(__file__).resolve().parents[3] / "scenarios" / "live-demo" / "video-script.yaml")
    assert script.length_s == 120 and script.neighbour == "right" and len(script.visits) == 4
