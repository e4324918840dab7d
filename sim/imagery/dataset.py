"""Labelled synthetic data sets: plate crops or bay-camera frames, with a ``labels.csv``.

One call writes ``n`` images under ``out/images/`` and one ``labels.csv`` row
per image: the plate text (normalized, no spaces), its format and style, the
severity of every degradation (0 when not applied), the plate's four corners
in the written image, and for frames the bay's ROI polygon and the
neighbour's plate, if one is in view.

Sample ``i`` is drawn from its own generator seeded by ``(seed, i)``, so the
same seed gives byte-identical files whatever the number of worker
processes, and any one sample can be regenerated alone.

Images are PNG, except when the ``jpeg`` degradation applies to a sample:
then the file is the JPEG itself, written once at the severity's quality, so
what is on disk is exactly what the OCR would receive (no second, lossless
copy of a lossy picture).
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from baytwin.core.plates import load_formats
from baytwin.sim.imagery.degrade import REGISTRY, apply_degradations, jpeg_quality, validate_severities
from baytwin.sim.imagery.plates import as_format, random_plate_text, render_plate, styles_for
from baytwin.sim.imagery.scenes import DEFAULT_SIZE, VIEWPOINTS, render_scene

LABELS = "labels.csv"
IMAGES = "images"
CORNER_COLUMNS = ("x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")
SCENE_COLUMNS = ("roi", "neighbour_plate", "neighbour_corners")

#: Weather for random mixes: at most one kind at a time (rain and snow do not share a frame here).
RANDOM_WEATHER: dict[str, float] = {"none": 0.55, "rain": 0.2, "snow": 0.1, "fog": 0.15}
#: Chance that a random mix includes each other degradation. Severities 1..4 are drawn
#: with weights RANDOM_SEVERITY_WEIGHTS: mild cases are common, extreme ones rare.
RANDOM_CHANCE: dict[str, float] = {
    "dirt": 0.15, "bent": 0.08, "steep_angle": 0.1, "occlusion": 0.08, "night_ir": 0.25, "glare": 0.08,
    "motion_blur": 0.15, "defocus": 0.15, "low_res": 0.2, "noise": 0.3, "jpeg": 0.3,
}
RANDOM_SEVERITY_WEIGHTS = (0.4, 0.3, 0.2, 0.1)


#: Which plates a world-renderer set draws with: the training half of the pool, or what training never sees.
WORLD_GROUPS = ("training", "held-out", "all")


@dataclass(frozen=True, slots=True)
class WorldPlates:
    """Asks :func:`generate` for plates of the world renderer (any string, many fonts and designs)
    instead of the declared formats, with fonts and designs from the named groups."""

    fonts: str = "held-out"
    designs: str = "all"

    def __post_init__(self) -> None:
        for name, value in (("fonts", self.fonts), ("designs", self.designs)):
            if value not in WORLD_GROUPS:
                raise ValueError(f"{name} must be one of {', '.join(WORLD_GROUPS)}, got {value!r}")


def label_columns(scenes: bool, world: bool = False) -> list[str]:
    """The columns of labels.csv, in order."""
    columns = ["file", "vehicle", "plate", "format", "style", *(("font", "design") if world else ()), *REGISTRY,
               *CORNER_COLUMNS]
    return columns + list(SCENE_COLUMNS) if scenes else columns


def generate(
    out: Path,
    n: int,
    formats: Sequence[str] | None = None,
    degradations: Mapping[str, int] | None = None,
    scenes: bool = False,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    random_degradations: bool = False,
    *,
    workers: int = 1,
    size: tuple[int, int] = DEFAULT_SIZE,
    frames: int = 1,
    world: WorldPlates | None = None,
    viewpoint: str = "bay",
) -> Path:
    """Write ``n`` labelled images under ``out`` and return the path of its labels.csv.

    ``formats`` restricts plate formats (default: all in core/plate_formats.yaml).
    ``degradations`` maps degradation names to severities applied to every
    image; with ``random_degradations`` each image also gets a random mix (see
    RANDOM_WEATHER / RANDOM_CHANCE), the fixed ones overriding it. ``scenes``
    writes bay-camera frames of ``size`` instead of plate crops. ``progress``
    is called as ``progress(done, n)`` after each image. ``workers`` > 1 spreads
    the work over processes; the files are the same either way. ``frames`` > 1
    shows each vehicle (same plate, same conditions) in that many consecutive
    images, drawn afresh, as a camera captures several frames of one arrival;
    the ``vehicle`` column groups them, so multi-frame voting can be measured.
    ``world`` draws crops of the world renderer instead of the formats' plates,
    with ``font`` and ``design`` columns, so evaluation can report per font
    family and design group (held-out ones included). ``viewpoint="street"``
    sees the scenes from the street instead of by a bay camera (``render_scene``).
    """
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if world is not None and scenes:
        raise ValueError("the world renderer draws plate crops, not bay-camera frames")
    if viewpoint not in VIEWPOINTS:
        raise ValueError(f"viewpoint {viewpoint!r}: one of {', '.join(VIEWPOINTS)}")
    names = list(formats) if formats else list(load_formats())
    for name in names:
        as_format(name)  # fails early, naming the unknown format
    fixed = dict(degradations or {})
    validate_severities(fixed)
    out = Path(out)
    (out / IMAGES).mkdir(parents=True, exist_ok=True)
    job = _Job(out, tuple(names), tuple(fixed.items()), scenes, seed, random_degradations, tuple(size), frames, world,
               viewpoint)
    labels = out / LABELS
    with labels.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=label_columns(scenes, world is not None))
        writer.writeheader()
        for done, row in enumerate(_rows(job, n, workers), start=1):
            writer.writerow(row)
            if progress is not None:
                progress(done, n)
    return labels


def random_mix(rng: np.random.Generator) -> dict[str, int]:
    """A random recipe of degradations for training data: some weather, some of the rest."""
    weather = list(RANDOM_WEATHER)
    mix: dict[str, int] = {}
    chosen = weather[int(rng.choice(len(weather), p=list(RANDOM_WEATHER.values())))]
    if chosen != "none":
        mix[chosen] = _random_severity(rng)
    for name, chance in RANDOM_CHANCE.items():
        if rng.random() < chance:
            mix[name] = _random_severity(rng)
    return mix


def _random_severity(rng: np.random.Generator) -> int:
    return int(rng.choice(4, p=RANDOM_SEVERITY_WEIGHTS)) + 1


# --------------------------------------------------------------------------
# One sample
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Job:
    """Everything a worker needs to make sample i (picklable, for worker processes)."""

    out: Path
    formats: tuple[str, ...]
    fixed: tuple[tuple[str, int], ...]
    scenes: bool
    seed: int
    random_degradations: bool
    size: tuple[int, int]
    frames: int = 1
    world: WorldPlates | None = None
    viewpoint: str = "bay"


def _rows(job: _Job, n: int, workers: int) -> Iterator[dict[str, str]]:
    """Label rows of samples 0..n-1 in order, made here or by ``workers`` processes."""
    if workers <= 1 or n < 2:
        yield from (_make_sample(job, i) for i in range(n))
        return
    context = multiprocessing.get_context("spawn")  # no fork: OpenCV's threads do not survive it
    with context.Pool(workers, initializer=_init_worker) as pool:
        yield from pool.imap(_make_sample_star, [(job, i) for i in range(n)], chunksize=16)


def _init_worker() -> None:
    cv2.setNumThreads(1)  # one process per core already
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to handle, in one line


def _make_sample_star(args: tuple[_Job, int]) -> dict[str, str]:
    return _make_sample(*args)


def _make_sample(job: _Job, index: int) -> dict[str, str]:
    """Render, degrade and write sample ``index``; return its labels.csv row."""
    vehicle = index // job.frames
    # what a vehicle is (plate, conditions) comes from its own stream; how each frame looks from the frame's
    vehicle_rng = np.random.default_rng([job.seed, vehicle])
    fmt = job.formats[int(vehicle_rng.integers(len(job.formats)))]
    severities = random_mix(vehicle_rng) if job.random_degradations else {}
    severities.update(job.fixed)
    styles = styles_for(fmt)
    text, style = random_plate_text(as_format(fmt), vehicle_rng), styles[int(vehicle_rng.integers(len(styles)))]
    rng = np.random.default_rng([job.seed, vehicle, index % job.frames])
    before_encoding = {k: v for k, v in severities.items() if k != "jpeg"}
    row: dict[str, str] = {"vehicle": str(vehicle)}
    if job.world is not None:
        plate = _world_plate(job.world, vehicle_rng, rng)
        text, fmt, style = plate.text, "", plate.design
        row.update({"font": plate.font, "design": plate.design})
        result = apply_degradations(plate.image, before_encoding, rng, plate.corners)
        corners = result.plate_corners
    elif job.scenes:
        scene = render_scene(rng, size=job.size, fmt=fmt, text=text, style=style, formats=job.formats,
                             viewpoint=job.viewpoint)
        plates = [scene.plate.corners] + ([scene.neighbour.corners] if scene.neighbour is not None else [])
        result = apply_degradations(scene.image, before_encoding, rng, np.stack(plates), scene.roi)
        corners = result.plate_corners[0]
        row["roi"] = json.dumps(_rounded(result.points))
        if scene.neighbour is not None:
            row["neighbour_plate"] = scene.neighbour.text
            row["neighbour_corners"] = json.dumps(_rounded(result.plate_corners[1]))
        else:
            row["neighbour_plate"] = row["neighbour_corners"] = ""
    else:
        crop = render_plate(text, fmt, rng, style)
        result = apply_degradations(crop.image, before_encoding, rng, crop.corners)
        corners = result.plate_corners
    name = _write(job.out, index, result.image, severities.get("jpeg", 0))
    row.update({"file": name, "plate": text, "format": fmt, "style": style})
    row.update({degradation: str(severities.get(degradation, 0)) for degradation in REGISTRY})
    row.update({column: f"{value:.2f}" for column, value in zip(CORNER_COLUMNS, corners.reshape(-1))})
    return row


def _world_plate(world: WorldPlates, vehicle_rng: np.random.Generator, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """A vehicle's plate (text, font and design from its own stream), drawn afresh for this frame."""
    from baytwin.sim.imagery.font_pool import held_out_fonts, training_fonts
    from baytwin.sim.imagery.world_plates import DESIGNS, HELD_OUT_DESIGNS, random_text, render_world_plate

    fonts = {"training": training_fonts, "held-out": held_out_fonts,
             "all": lambda: training_fonts() + held_out_fonts()}[world.fonts]()
    designs = {"training": tuple(d for d in DESIGNS if d not in HELD_OUT_DESIGNS), "held-out": HELD_OUT_DESIGNS,
               "all": DESIGNS}[world.designs]
    text = random_text(vehicle_rng)
    font = fonts[int(vehicle_rng.integers(len(fonts)))]
    design = str(designs[int(vehicle_rng.integers(len(designs)))])
    return render_world_plate(rng, [font], text=text, design=design)


def _write(out: Path, index: int, image: np.ndarray, jpeg_severity: int) -> str:
    """Encode and write the image; PNG, or JPEG at the jpeg degradation's quality. Returns its relative path."""
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if jpeg_severity:
        name = f"{IMAGES}/{index:06d}.jpg"
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality(jpeg_severity)])
    else:
        name = f"{IMAGES}/{index:06d}.png"
        # RLE at level 1 packs these flat-coloured images as tightly as level 3, twice as fast.
        ok, data = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE])
    if not ok:
        raise RuntimeError(f"could not encode {name}")
    (out / name).write_bytes(data.tobytes())
    return name


def _rounded(points: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 2), round(float(y), 2)] for x, y in np.asarray(points).reshape(-1, 2)]
