"""One bay in one camera: read only when the ROI moved, vote the parked car's frames, carry the answer while still."""

from __future__ import annotations

import numpy as np
import pytest

from baytwin.core.ocr.pipeline import PlateReader
from baytwin.core.ocr.recognizer import FORMAT_CONFIG, FORMAT_MODEL, Recognizer
from baytwin.live.bay_watch import BayWatch
from baytwin.sim.imagery.degrade import degrade
from baytwin.sim.imagery.scenes import render_scene


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return PlateReader(recognizer=Recognizer(FORMAT_MODEL, FORMAT_CONFIG))  # scenes of the twin's declared formats


def _noisy(image: np.ndarray, seed: int) -> np.ndarray:
    return degrade(image, {"noise": 1}, np.random.default_rng(seed))


def _readable_scene() -> object:
    reader = PlateReader(recognizer=Recognizer(FORMAT_MODEL, FORMAT_CONFIG))
    for seed in range(400, 440):
        scene = render_scene(np.random.default_rng(seed), neighbour=False)
        if reader.read_frame(scene.image).plate == scene.plate.text:
            return scene
    raise AssertionError("no readable scene")


def test_a_car_pulling_in_is_read_once_it_settles_and_the_still_bay_is_not_reread(reader: PlateReader) -> None:
    scene = _readable_scene()
    height, width = scene.image.shape[:2]
    empty = np.full_like(scene.image, 95)
    clock = [0.0]
    watch = BayWatch("B1", [tuple(p) for p in scene.roi], (width, height), frames_per_vehicle=3, recheck_s=60,
                     monotonic=lambda: clock[0])
    frames = [empty] * 4 + [_noisy(scene.image, i) for i in range(30)] + [empty] * 8
    observations = []
    for i, frame in enumerate(frames):
        clock[0] = i * 0.2  # 5 samples a second
        observations.append(watch.sample(frame, 1000.0 + i, reader, identified=False))
    present = [o.present for o in observations]
    assert present[:4] == [False] * 4 and all(present[4:34]) and present[-1] is False
    reads = [o.read for o in observations if o.read is not None]
    assert len(reads) == 1 and reads[0].plate == scene.plate.text  # one voted read of the parked car
    assert watch.looks < len(frames) // 2  # the still, parked car was not read frame after frame


def test_an_identified_car_in_a_still_bay_is_not_read_again_and_a_recheck_still_looks(reader: PlateReader) -> None:
    scene = _readable_scene()
    height, width = scene.image.shape[:2]
    clock = [0.0]
    watch = BayWatch("B1", [tuple(p) for p in scene.roi], (width, height), recheck_s=10, monotonic=lambda: clock[0])
    looks_before = None
    reads = 0
    for i in range(120):
        clock[0] = i * 0.2
        observation = watch.sample(scene.image, float(i), reader, identified=True)
        reads += observation.read is not None
        if i > 5:
            assert observation.read is None  # known already and nothing moves: presence only
        if i == 20:
            looks_before = watch.looks
    assert looks_before is not None and watch.looks - looks_before == 2  # rechecks at 10 s and 20 s only
    assert reads <= 1  # at most the one look when the first picture settled
