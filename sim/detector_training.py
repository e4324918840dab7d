"""Training the learned plate detector on rendered bay-camera scenes, and exporting it to ONNX.

The classical detector finds a plate by its band of character strokes, which
works for a fixed camera a few metres from one bay and fails on small, dim or
cluttered plates. A small network learns what a plate looks like from many
rendered scenes (``sim.imagery.scenes``: cameras, bays, cars, plate sizes and
designs, lighting, the 14 degradations) whose plate corners are known exactly,
and from real photos with plate boxes when a site or a public set has them
(``--scenes DIR``). A neighbouring bay's plate in view is a plate to find: the
bay's ROI, not the detector, decides whose it is. Some frames have their
plates painted over, so the network also sees cars without one.

The network is CenterNet-style and deliberately small (about 0.2 M weights):
a strided backbone to 1/32, a light feature pyramid back to 1/4, and two
heads at 1/4 of the input: a heatmap of plate centres and, at each centre,
the sub-cell offset and the plate's log width and height. It trains on
256-pixel patches of frames scaled as the runtime scales them (the longer side
to 640 px, then zoomed 0.6-1.5x), so plates from about 15 to 250 px wide are
seen. The exported graph takes the runtime's 640 px letterboxed square and
returns YOLO-style rows ``(cx, cy, w, h, score)``, one per heatmap cell with
non-peaks zeroed, so ``core.ocr.detector.OnnxDetector`` reads it like any
brought YOLO model. Training needs PyTorch (the ``train`` extra); inference
only onnxruntime.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path

import cv2
import numpy as np
import yaml

#: Seeds of training scenes start here (evaluation seeds are below 100,000, the recognizer's training
#: scenes at 1,000,000 + seed x 10,000,000); the detector's lie half-way through each seed's block.
TRAIN_SEED_BASE = 6_000_000
#: The runtime scales a frame so that its longer side is this, letterboxed into a square of it.
INPUT_SIZE = 640
STRIDE = 4  # heatmap cells per input pixel
#: Rendered frame sizes (width, height) and how often each is drawn; all are scaled to INPUT_SIZE.
FRAME_SIZES = (((640, 360), 0.35), ((960, 540), 0.35), ((1280, 720), 0.3))
DEGRADE_SHARE = 0.6  # frames that get a random mix of degradations
NO_PLATE_SHARE = 0.12  # frames whose plates are painted over: cars without a plate to find
ZOOM = (0.6, 1.5)  # training patches are zoomed by this much around the runtime's scale
PLATE_PATCH_SHARE = 0.8  # patches placed on a plate; the rest anywhere
#: Share of rendered frames seen from the street instead of a bay camera (``render_scene(viewpoint="street")``):
#: lower, closer and from the side, plates larger and turned, as phones and street cameras see parked cars.
#: The bundled detector was trained without them and cut large plates into pieces on such photos.
STREET_SHARE = 0.0
DEFAULT_THRESHOLD = 0.3
Progress = Callable[[str, float, float], None]  # (stage, done, total)


@dataclass(frozen=True)
class DetectorSettings:
    samples: int = 6_000  # rendered scenes
    epochs: int = 8
    batch: int = 32
    patch: int = 256  # side of a training patch (a multiple of 32)
    learning_rate: float = 2e-3
    seed: int = 0
    workers: int = 2
    scenes: tuple[Path, ...] = ()  # folders of real photos with plate corners (labels.csv x1..y4) to learn from too
    scenes_share: float = 0.3  # of the training frames, when ``scenes`` are given: their photos repeated to fill it
    input_size: int = INPUT_SIZE  # the exported model's input square
    threshold: float = DEFAULT_THRESHOLD
    street_share: float = STREET_SHARE  # rendered frames seen from the street rather than by a bay camera
    init: Path | None = None  # start from these weights (the .pt an earlier run wrote beside its detector)


class ScenesProblem(ValueError):
    """A real scene folder cannot be trained on; the message names the folder."""


class DetectorWeightsProblem(ValueError):
    """The weights given to start from are not this detector's."""


def initial_weights(path: Path) -> dict:  # type: ignore[type-arg]
    """The state dict at ``path``, checked against this detector's network before anything is rendered."""
    import torch

    try:
        state = torch.load(path, map_location="cpu")
        build_network()[0].load_state_dict(state)
    except Exception as err:  # torch raises pickle, zip and shape errors alike; none of them is usable weights
        raise DetectorWeightsProblem(f"{path}: not weights of this detector ({str(err).splitlines()[0]})") from None
    return state  # type: ignore[no-any-return]


# --- data ------------------------------------------------------------------------------------


def synthetic_frame(seed: int, street_share: float = STREET_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """A rendered bay-camera frame scaled as the runtime scales it, and its plates' boxes (K x 4, x1 y1 x2 y2),
    fully determined by ``seed``: the own car's plate, a neighbour's when in view, none when painted over;
    ``street_share`` of the frames seen from the street (drawn only when asked for, so others stay as they were)."""
    from baytwin.sim.imagery.dataset import random_mix
    from baytwin.sim.imagery.degrade import apply_degradations
    from baytwin.sim.imagery.scenes import render_scene

    rng = np.random.default_rng(seed)
    sizes = [size for size, _ in FRAME_SIZES]
    size = sizes[int(rng.choice(len(sizes), p=[share for _, share in FRAME_SIZES]))]
    street = bool(street_share) and rng.random() < street_share
    scene = render_scene(rng, size=size, viewpoint="street" if street else "bay")
    quads = np.stack([scene.plate.corners] + ([scene.neighbour.corners] if scene.neighbour is not None else []))
    image = scene.image
    if rng.random() < DEGRADE_SHARE:
        degraded = apply_degradations(image, random_mix(rng), rng, quads)
        image = degraded.image
        quads = degraded.plate_corners if degraded.plate_corners is not None else quads
    if rng.random() < NO_PLATE_SHARE:
        image = paint_over(image, quads, rng)
        quads = np.zeros((0, 4, 2), np.float32)
    return scaled_frame(image, quads)


def paint_over(image: np.ndarray, quads: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The frame with each plate filled with the colour around it (and a little texture): a car without a plate."""
    out = image.copy()
    for quad in quads:
        centre = quad.mean(axis=0)
        grown = (quad - centre) * 1.15 + centre
        ring = (quad - centre) * 1.6 + centre
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillConvexPoly(mask, ring.astype(np.int32), 255)
        cv2.fillConvexPoly(mask, grown.astype(np.int32), 0)
        around = image[mask > 0]
        colour = np.median(around, axis=0) if len(around) else np.array([90, 90, 90])
        cv2.fillConvexPoly(out, grown.astype(np.int32), tuple(float(c) for c in colour), cv2.LINE_AA)
    noise = rng.normal(0, 2.0, out.shape).astype(np.float32)
    return np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def scaled_frame(image: np.ndarray, quads: np.ndarray, size: int = INPUT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """The frame with its longer side ``size`` (as ``OnnxDetector`` scales it) and the quads' boxes in it."""
    h, w = image.shape[:2]
    scale = size / max(h, w)
    resized = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    boxes = np.array([[q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()] for q in quads],
                     np.float32).reshape(-1, 4) * scale
    return resized, boxes


def _render_chunk(seeds: list[int], street_share: float = STREET_SHARE) -> list[tuple[np.ndarray, np.ndarray]]:
    return [synthetic_frame(seed, street_share) for seed in seeds]


def render_frames(first_seed: int, n: int, workers: int, progress: Progress | None = None,
                  street_share: float = STREET_SHARE) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` rendered frames and their boxes, in worker processes, by consecutive seeds."""
    if n <= 0:
        return []
    chunk = 25
    chunks = [list(range(first_seed + i, first_seed + min(i + chunk, n))) for i in range(0, n, chunk)]
    frames: list[tuple[np.ndarray, np.ndarray]] = []
    if workers <= 1:
        for batch in chunks:
            frames += _render_chunk(batch, street_share)
            if progress:
                progress("render", len(frames), n)
        return frames
    with get_context("spawn").Pool(workers) as pool:
        for batch in pool.imap(partial(_render_chunk, street_share=street_share), chunks):
            frames += batch
            if progress:
                progress("render", len(frames), n)
    return frames


def load_scene_folders(folders: Sequence[Path]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Real photos with plate corners (``labels.csv`` with ``file`` and ``x1..y4``; a photo with several plates
    has a row each), scaled as the runtime scales them. Unreadable images are skipped; a folder with none
    usable is refused."""
    from baytwin.core.ocr.detection_recall import SceneLabelsProblem, load_scene_labels
    from baytwin.core.ocr.image_file import load_rgb

    frames: list[tuple[np.ndarray, np.ndarray]] = []
    for folder in folders:
        labels = folder / "labels.csv"
        if not labels.is_file():
            raise ScenesProblem(f"{labels}: no such file (a scene folder needs labels.csv with file and x1..y4)")
        try:
            scenes = load_scene_labels(labels)
        except SceneLabelsProblem as err:
            raise ScenesProblem(str(err)) from None
        if not scenes:
            raise ScenesProblem(f"{labels}: no row with plate corners (columns file and x1,y1 .. x4,y4)")
        before = len(frames)
        for scene in scenes:
            pixels = load_rgb(folder / scene.file)
            if isinstance(pixels, str):
                continue
            frames.append(scaled_frame(pixels, np.stack(scene.plates)))
        if len(frames) == before:
            raise ScenesProblem(f"{labels}: none of its images could be read")
    return frames


def training_patch(image: np.ndarray, boxes: np.ndarray, patch: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A ``patch``-square view of a frame, zoomed, usually on a plate, jittered in colour and light, maybe
    mirrored (a mirrored plate is still a plate); the boxes of plates whose centre lies in it."""
    zoom = float(np.exp(rng.uniform(np.log(ZOOM[0]), np.log(ZOOM[1]))))
    window = patch / zoom  # source pixels the patch covers
    h, w = image.shape[:2]
    if len(boxes) and rng.random() < PLATE_PATCH_SHARE:
        x1, y1, x2, y2 = boxes[int(rng.integers(len(boxes)))]
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        left = cx - rng.uniform(0.15, 0.85) * window
        top = cy - rng.uniform(0.15, 0.85) * window
    else:
        left = rng.uniform(-0.1 * window, max(-0.1 * window, w - 0.9 * window))
        top = rng.uniform(-0.1 * window, max(-0.1 * window, h - 0.9 * window))
    matrix = np.float32([[zoom, 0, -left * zoom], [0, zoom, -top * zoom]])
    out = cv2.warpAffine(image, matrix, (patch, patch), flags=cv2.INTER_LINEAR if zoom > 1 else cv2.INTER_AREA,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=(114, 114, 114))
    moved = (boxes - [left, top, left, top]) * zoom if len(boxes) else boxes.reshape(0, 4)
    centres = (moved[:, :2] + moved[:, 2:]) / 2
    inside = (centres >= 0).all(axis=1) & (centres < patch).all(axis=1)
    moved = np.clip(moved[inside], 0, patch - 1)
    if rng.random() < 0.5:
        out = out[:, ::-1]
        moved = np.stack([patch - 1 - moved[:, 2], moved[:, 1], patch - 1 - moved[:, 0], moved[:, 3]], axis=1) \
            if len(moved) else moved
    out = out.astype(np.float32)
    if rng.random() < 0.15:
        out = np.repeat(out.mean(axis=2, keepdims=True), 3, axis=2)  # a grey (or infrared) camera
    out = (out - 128) * rng.uniform(0.6, 1.4) + 128 + rng.uniform(-40, 40) + rng.uniform(-12, 12, 3)
    return np.clip(out, 0, 255).astype(np.uint8), moved.astype(np.float32)


def targets(boxes: np.ndarray, patch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CenterNet targets of one patch: heatmap (1, S, S) with an elongated Gaussian per plate, and at each
    plate's centre cell the regression target (offset x, offset y, log width, log height) and a mask."""
    cells = patch // STRIDE
    heat = np.zeros((1, cells, cells), np.float32)
    regress = np.zeros((4, cells, cells), np.float32)
    mask = np.zeros((1, cells, cells), np.float32)
    ys, xs = np.mgrid[0:cells, 0:cells].astype(np.float32)
    for x1, y1, x2, y2 in boxes:
        bw, bh = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
        cx, cy = (x1 + x2) / 2 / STRIDE, (y1 + y2) / 2 / STRIDE
        ix, iy = min(int(cx), cells - 1), min(int(cy), cells - 1)
        sx, sy = max(bw / STRIDE / 6, 0.8), max(bh / STRIDE / 6, 0.8)
        gauss = np.exp(-((xs - ix) ** 2 / (2 * sx**2) + (ys - iy) ** 2 / (2 * sy**2)))
        heat[0] = np.maximum(heat[0], gauss)
        heat[0, iy, ix] = 1.0
        regress[:, iy, ix] = (cx - ix, cy - iy, math.log(bw / STRIDE), math.log(bh / STRIDE))
        mask[0, iy, ix] = 1.0
    return heat, regress, mask


# --- the network --------------------------------------------------------------------------------


def build_network():  # type: ignore[no-untyped-def]
    import torch
    from torch import nn

    def conv(c_in: int, c_out: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, padding=dilation, dilation=dilation, bias=False),
                             nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))

    class PlateDetectorNet(nn.Module):
        """RGB in [0, 1] (N, 3, H, W), H and W multiples of 32 -> heatmap logits (N, 1, H/4, W/4) and
        regression (N, 4, H/4, W/4): offset of the centre in its cell, log width and height in cells."""

        def __init__(self) -> None:
            super().__init__()
            width = 32
            self.c2 = conv(3, 16, 2)
            self.c4 = nn.Sequential(conv(16, 24, 2), conv(24, 24))
            self.c8 = nn.Sequential(conv(24, 48, 2), conv(48, 48))
            self.c16 = nn.Sequential(conv(48, 64, 2), conv(64, 64))
            self.c32 = nn.Sequential(conv(64, 96, 2), conv(96, 96, dilation=2))  # plates up to a third of the input
            self.lateral = nn.ModuleList(nn.Conv2d(c, width, 1) for c in (96, 64, 48, 24))
            self.smooth = nn.ModuleList(conv(width, width) for _ in range(3))
            self.up = nn.Upsample(scale_factor=2, mode="nearest")
            self.heat = nn.Sequential(conv(width, width), nn.Conv2d(width, 1, 1))
            self.box = nn.Sequential(conv(width, width), nn.Conv2d(width, 4, 1))
            nn.init.constant_(self.heat[-1].bias, -4.0)  # few cells are plates: start by saying so

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            x = (x - 0.45) / 0.25
            c4 = self.c4(self.c2(x))
            c8 = self.c8(c4)
            c16 = self.c16(c8)
            c32 = self.c32(c16)
            p = self.lateral[0](c32)
            for lateral, smooth, skip in zip(self.lateral[1:], self.smooth, (c16, c8, c4)):
                p = smooth(self.up(p) + lateral(skip))
            return self.heat(p), self.box(p)

    class Exported(nn.Module):
        """The runtime's form: rows (cx, cy, w, h, score) in input pixels, one per cell, non-peaks scored 0."""

        def __init__(self, net: nn.Module) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            heat, box = self.net(x)
            score = torch.sigmoid(heat)
            peaks = (nn.functional.max_pool2d(score, 3, 1, 1) == score).float()
            score = score * peaks
            n, _, rows, cols = score.shape
            ys = torch.arange(rows, dtype=torch.float32).view(1, rows, 1).expand(1, rows, cols)
            xs = torch.arange(cols, dtype=torch.float32).view(1, 1, cols).expand(1, rows, cols)
            cx = (xs + box[:, 0]) * STRIDE
            cy = (ys + box[:, 1]) * STRIDE
            w = torch.exp(box[:, 2].clamp(-3, 6)) * STRIDE
            h = torch.exp(box[:, 3].clamp(-3, 6)) * STRIDE
            rows_out = torch.stack([cx, cy, w, h, score[:, 0]], dim=-1)
            return rows_out.reshape(n, rows * cols, 5)

    return PlateDetectorNet(), Exported


def loss(heat_logits, regress, heat_target, regress_target, mask):  # type: ignore[no-untyped-def]
    """CenterNet's penalty-reduced focal loss on the heatmap, plus L1 on offsets and log sizes at the centres."""
    import torch

    p = torch.sigmoid(heat_logits).clamp(1e-4, 1 - 1e-4)
    positive = heat_target.eq(1).float()
    pos_loss = -(torch.log(p) * (1 - p) ** 2 * positive).sum()
    neg_loss = -(torch.log(1 - p) * p**2 * (1 - heat_target) ** 4 * (1 - positive)).sum()
    plates = positive.sum().clamp(min=1)
    focal = (pos_loss + neg_loss) / plates
    l1 = (torch.abs(regress - regress_target) * mask).sum() / plates
    return focal + l1


# --- training and export ------------------------------------------------------------------------------


def train(out_model: Path, settings: DetectorSettings = DetectorSettings(),
          progress: Progress | None = None) -> dict[str, float]:
    """Render scenes (and load real ones), train, export the ONNX model with its .yaml; return the figures."""
    import torch

    if settings.patch % 32 or settings.input_size % 32:
        raise ValueError("the patch and input sizes must be multiples of 32")
    torch.manual_seed(settings.seed)
    start_from = initial_weights(settings.init) if settings.init is not None else None  # a bad file stops at once
    real = load_scene_folders(settings.scenes) if settings.scenes else []  # before rendering: a bad folder stops at once
    frames = render_frames(TRAIN_SEED_BASE + settings.seed * 10_000_000, settings.samples, settings.workers, progress,
                           settings.street_share)
    if real:
        repeats = max(1, round(settings.scenes_share * max(len(frames), 1) / ((1 - settings.scenes_share) * len(real))))
        frames += real * repeats
    if not frames:
        raise ValueError("nothing to train on: give --samples above 0 or --scenes")
    net, exported = build_network()
    if start_from is not None:
        net.load_state_dict(start_from)
    per_epoch = math.ceil(len(frames) / settings.batch)
    steps = settings.epochs * per_epoch
    optimizer = torch.optim.AdamW(net.parameters(), lr=settings.learning_rate, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, settings.learning_rate, total_steps=steps)
    rng = np.random.default_rng(TRAIN_SEED_BASE + settings.seed)
    step, last = 0, float("nan")
    for _epoch in range(settings.epochs):
        net.train()
        order = rng.permutation(len(frames))
        for start in range(0, len(frames), settings.batch):
            patches, heat, regress, mask = [], [], [], []
            for i in order[start:start + settings.batch]:
                image, boxes = training_patch(*frames[int(i)], settings.patch, rng)
                h, r, m = targets(boxes, settings.patch)
                patches.append(image)
                heat.append(h)
                regress.append(r)
                mask.append(m)
            x = torch.from_numpy(np.stack(patches)).permute(0, 3, 1, 2).float() / 255.0
            heat_logits, box = net(x)
            value = loss(heat_logits, box, torch.from_numpy(np.stack(heat)), torch.from_numpy(np.stack(regress)),
                         torch.from_numpy(np.stack(mask)))
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            schedule.step()
            step += 1
            last = float(value.detach())
            if progress and (step % 10 == 0 or step == steps):
                progress("train", step, steps)
    out_model.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), out_model.with_suffix(".pt"))  # to train further from; not needed at run time
    export(exported(net), out_model, settings, synthetic=settings.samples, real=len(real))
    return {"frames": float(len(frames)), "real_photos": float(len(real)), "steps": float(steps), "final_loss": last}


def export(model, out_model: Path, settings: DetectorSettings, synthetic: int, real: int) -> None:  # type: ignore[no-untyped-def]
    """The ONNX graph (fixed square input, as ``OnnxDetector`` letterboxes) and its config beside it."""
    import torch

    model.eval()
    dummy = torch.zeros(1, 3, settings.input_size, settings.input_size, dtype=torch.float32)
    torch.onnx.export(model, (dummy,), str(out_model), input_names=["images"], output_names=["detections"],
                      opset_version=17, dynamo=False)
    config = {
        "input_size": settings.input_size,
        "threshold": settings.threshold,
        "nms": 0.45,
        "output": "rows of (cx, cy, w, h, score) in input pixels, one per 4x4 cell, non-peaks scored 0",
        "trained_on": {"rendered_scenes": synthetic, "real_photos": real,
                       "scene_folders": ["/".join(folder.parts[-2:]) for folder in settings.scenes], "seed": settings.seed,
                       "epochs": settings.epochs, "patch": settings.patch,
                       **({"street_share": settings.street_share} if settings.street_share else {}),
                       **({"init": settings.init.name} if settings.init else {})},
    }
    out_model.with_suffix(".yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
