"""Plate-reading speed: batched recognition (crops/s) and whole 1080p frames (detect + read), with baselines
measured in the same run: the bare ONNX model on ready-made input (one view), and the detector alone."""

from __future__ import annotations

import time

import numpy as np
import pytest

from baytwin.core.ocr.gate import ConfidenceGate
from baytwin.core.ocr.pipeline import PlateReader
from baytwin.core.ocr.recognizer import FORMAT_CONFIG, FORMAT_MODEL, MODEL_DIR, Recognizer
from baytwin.core.ocr.roi import Roi
from baytwin.sim.imagery.degrade import REGISTRY, degrade
from baytwin.sim.imagery.font_pool import held_out_fonts
from baytwin.sim.imagery.plates import render_plate
from baytwin.sim.imagery.scenes import render_scene
from baytwin.sim.imagery.world_plates import render_world_plate
from tests.benchmarks.figures import record

CROPS = 2048
SECOND_LOOK_BELOW = ConfidenceGate().accept_at  # as the pipeline reads: a second look at what the gate would not accept


PLATES = (("AB12CDE", "uk"), ("AB123CD", "fr"), ("7ABC123", "us_ca"), ("GBB01B", "nl"))


@pytest.fixture(scope="module")
def clean_crops() -> list[np.ndarray]:
    rng = np.random.default_rng(42)
    return [render_plate(text, fmt, rng).image for text, fmt in PLATES * (CROPS // len(PLATES))]


@pytest.fixture(scope="module")
def severity_2_crops() -> list[np.ndarray]:
    """Every degradation at severity 2 in turn: more reads are unsure, so more get the second look."""
    rng = np.random.default_rng(43)
    names = sorted(REGISTRY)
    plates = [render_plate(text, fmt, rng) for text, fmt in PLATES]
    return [degrade(plates[i % len(plates)].image, {names[i % len(names)]: 2}, rng,
                    plate_corners=plates[i % len(plates)].corners) for i in range(CROPS)]


def bare_model_seconds(recognizer: Recognizer, crops: list[np.ndarray], batch: int) -> float:
    """The baseline: the model alone on input already sized and coloured, in batches, best of three."""
    prepared = [recognizer.preprocess(crops[i:i + batch]) for i in range(0, len(crops), batch)]
    name = recognizer.session.get_inputs()[0].name
    recognizer.session.run(None, {name: prepared[0]})  # warm up, as the benchmark's first round does
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        for ready in prepared:
            recognizer.session.run(None, {name: ready})
        timings.append(time.perf_counter() - started)
    return min(timings)


@pytest.mark.parametrize("kind", ["clean", "severity_2"])
@pytest.mark.parametrize("batch", [64, 256])
def test_recognition_crops_per_second(benchmark, request: pytest.FixtureRequest, kind: str, batch: int) -> None:
    crops: list[np.ndarray] = request.getfixturevalue(f"{kind}_crops")
    recognizer = Recognizer(FORMAT_MODEL, FORMAT_CONFIG)
    bare = bare_model_seconds(recognizer, crops, batch)

    def read_all() -> None:
        for i in range(0, len(crops), batch):
            recognizer.read(crops[i:i + batch], second_look_below=SECOND_LOOK_BELOW)

    benchmark.pedantic(read_all, rounds=3, iterations=1)
    seconds = benchmark.stats.stats.median
    record(benchmark, f"recognition, {kind}, batch {batch}", len(crops) / seconds, "crops/s",
           baseline=len(crops) / bare, better="higher", baseline_name="bare ONNX model")
    rate = len(crops) / seconds
    second_looks = sum(r.confidence < SECOND_LOOK_BELOW for r in recognizer.read(crops))
    benchmark.extra_info.update({"crops": len(crops), "kind": kind, "second_looks": second_looks,
                                 "batch": batch, "crops_per_second": round(rate),
                                 "bare_model_crops_per_second": round(len(crops) / bare),
                                 "ratio_to_bare_model": round(seconds / bare, 2)})
    print(f"\nrecognition, {kind}, batch {batch}: {rate:,.0f} crops/s (bare model {len(crops) / bare:,.0f}/s, "
          f"{seconds / bare:.2f}x its time; {second_looks / len(crops):.1%} had a second look)")


@pytest.fixture(scope="module")
def held_out_font_crops() -> list[np.ndarray]:
    """World plates in the held-out fonts: most reads unsure, so most get the second look."""
    rng = np.random.default_rng(44)
    return [render_world_plate(rng, held_out_fonts()).image for _ in range(1024)]


@pytest.mark.parametrize("model", ["general_reader", "general_reader_int8"])
@pytest.mark.parametrize("kind", ["held_out_font", "clean"])
def test_general_reader_crops_per_second(benchmark, request: pytest.FixtureRequest, kind: str, model: str) -> None:
    """The general reader as a site reads with it (every look: the first, the second for what the gate would not
    accept, line by line for the unsure, the colour check for what it would), on plates in the held-out fonts,
    where many reads are unsure, and on clean plates of the declared formats, where most are sure; the float
    model and its 8-bit copy, each against the float model alone (one look) as the baseline."""
    crops: list[np.ndarray] = request.getfixturevalue(f"{kind}_crops")[:1024]
    name = {"held_out_font": "held-out fonts", "clean": "clean format plates"}[kind]
    reader = PlateReader(Recognizer(MODEL_DIR / f"{model}.onnx", MODEL_DIR / f"{model}.yaml"))
    recognizer, batch = reader.recognizer, 256
    bare = bare_model_seconds(Recognizer(MODEL_DIR / "general_reader.onnx", MODEL_DIR / "general_reader.yaml"),
                              crops, batch)
    first_look = recognizer.read(crops)
    unsure = sum(r.confidence < reader.gate.accept_at for r in first_look)

    def read_all() -> None:  # as crops handed to the reader are read: their lean taken out, every look, gated
        for i in range(0, len(crops), batch):
            reader.read_crops(crops[i:i + batch])

    benchmark.pedantic(read_all, rounds=3, iterations=1)
    seconds = benchmark.stats.stats.median
    label = "8-bit" if model.endswith("int8") else "float"
    record(benchmark, f"general reader ({label}), {name}, every look", len(crops) / seconds, "crops/s",
           baseline=len(crops) / bare, better="higher", baseline_name="bare float model, one look")
    benchmark.extra_info.update({"crops": len(crops), "kind": name, "model": model, "unsure_at_first_look": unsure,
                                 "crops_per_second": round(len(crops) / seconds),
                                 "bare_model_crops_per_second": round(len(crops) / bare)})
    print(f"\ngeneral reader ({label}), {name}: {len(crops) / seconds:,.0f} crops/s every look "
          f"(bare float model {len(crops) / bare:,.0f}/s; {unsure / len(crops):.0%} unsure at first look)")


def test_8_bit_model_crops_per_second(benchmark, held_out_font_crops: list[np.ndarray]) -> None:
    """The general reader's 8-bit copy alone (one look, batches of 256), against the float model alone."""
    float_model = Recognizer(MODEL_DIR / "general_reader.onnx", MODEL_DIR / "general_reader.yaml")
    int8_model = Recognizer(MODEL_DIR / "general_reader_int8.onnx", MODEL_DIR / "general_reader_int8.yaml")
    crops = held_out_font_crops[:1024]
    bare = bare_model_seconds(float_model, crops, 256)
    prepared = [int8_model.preprocess(crops[i:i + 256]) for i in range(0, len(crops), 256)]
    name = int8_model.session.get_inputs()[0].name

    def run_all() -> None:
        for ready in prepared:
            int8_model.session.run(None, {name: ready})

    benchmark.pedantic(run_all, rounds=5, iterations=1, warmup_rounds=1)
    seconds = benchmark.stats.stats.median
    record(benchmark, "8-bit general reader alone, batch 256", len(crops) / seconds, "crops/s",
           baseline=len(crops) / bare, better="higher", baseline_name="float general reader alone")
    print(f"\n8-bit general reader alone: {len(crops) / seconds:,.0f} crops/s (float {len(crops) / bare:,.0f}/s)")


def test_full_hd_frame_latency(benchmark) -> None:
    """A site's bay camera frame as a site reads it: the default detector and reader (the general one, with every
    look and the colour check), in the bay's ROI."""
    scenes = [render_scene(np.random.default_rng(900 + i), size=(1920, 1080)) for i in range(30)]
    reader = PlateReader()
    detector = reader.detector  # the default: the bundled learned detector
    rois = [Roi(tuple(map(tuple, s.roi))) for s in scenes]
    detect_only = []
    for scene in scenes:
        began = time.perf_counter()
        detector.detect(scene.image)
        detect_only.append(time.perf_counter() - began)
    latencies: list[float] = []

    def read_frames() -> None:
        for scene, roi in zip(scenes, rois):
            began = time.perf_counter()
            reader.read_frame(scene.image, roi)
            latencies.append(time.perf_counter() - began)

    benchmark.pedantic(read_frames, rounds=2, iterations=1)
    ms = np.array(latencies) * 1000
    p50, p95 = float(np.percentile(ms, 50)), float(np.percentile(ms, 95))
    detect_p50 = float(np.percentile(np.array(detect_only) * 1000, 50))
    record(benchmark, "1080p frame, detect + read, p50", p50, "ms", baseline=detect_p50,
           baseline_name="detector alone, p50", note=f"p95 {p95:.1f} ms")
    benchmark.extra_info.update({"frames": len(latencies), "latency_ms_p50": round(p50, 2),
                                 "latency_ms_p95": round(p95, 2), "detector_only_ms_p50": round(detect_p50, 2)})
    print(f"\n1920x1080 frame, detect + read: p50 {p50:.1f} ms, p95 {p95:.1f} ms (detector alone p50 {detect_p50:.1f} ms)")
