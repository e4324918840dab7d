"""Composable degradations of plate crops and bay-camera frames, each at severity 0..4.

An OCR that only ever saw clean plates fails on the first wet night. These
functions spoil an image the way the world does (weather, darkness, glare,
dirt), the way the optics and sensor do (blur, low resolution, noise) and the
way the pipeline does (JPEG). Severity 0 leaves the image untouched; 1 is an
ordinary bad day, 4 is the worst a bay camera must still cope with (or
honestly give up on). The scale means the same for every degradation: up to
severity 2 every character is still there for a person to read, from 3 they
start to go (:mod:`sim.imagery.legibility` measures it, and its tests hold every
degradation to it). Each function's docstring says what its severities mean
physically.

Use :func:`degrade` (image only) or :func:`apply_degradations` (also moves
the plate corners and any other points, for the degradations that bend or
re-project the picture). Degradations run in the fixed order of
:data:`REGISTRY`, which follows the light path: dirt on the plate, the plate's
shape, the viewing angle, things in front of it, the illumination, the
weather between plate and lens, glare, motion and focus, then the sensor and
the encoder. Each gets its own random stream derived from the caller's
generator, so adding fog to a recipe does not change where the rain falls,
and a given generator state always gives the same image.

Adding a degradation is one function and one REGISTRY entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from baytwin.sim.imagery.plates import as_rgb

MAX_SEVERITY = 4
_ASSUMED_PLATE_DISTANCE_M = 6.0  # bay camera to plate, for fog


@dataclass(frozen=True, slots=True)
class Warped:
    """What a geometric degradation returns: the new image and how it moved points (Nx2 -> Nx2)."""

    image: np.ndarray
    move: Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Degraded:
    """The result of :func:`apply_degradations`."""

    image: np.ndarray  # HxWx3 uint8, same size as the input
    plate_corners: np.ndarray | None  # float32, as given (4x2 or Kx4x2), moved with the image; None if none given
    points: np.ndarray | None  # float32 Nx2, the caller's other points moved likewise


#: (image uint8 HxWx3, severity 1..4, rng, plates float32 Kx4x2, the first the main one) -> image or Warped
Degradation = Callable[[np.ndarray, int, np.random.Generator, np.ndarray], "np.ndarray | Warped"]


def degrade(
    image: np.ndarray,
    severities: Mapping[str, int],
    rng: np.random.Generator,
    plate_corners: np.ndarray | None = None,
) -> np.ndarray:
    """``image`` (HxWx3 uint8 RGB) spoiled by each named degradation at its severity (0..4).

    ``plate_corners`` (4x2, top-left first, clockwise) tell plate-bound
    effects (dirt, snow cover, occlusion, bending, the IR glow at night) where
    the plate is; without them the whole image is taken to be the plate.
    Several plates may be given as Kx4x2: the first is the one dirt, bending
    and occlusion act on, lighting (the IR glow) acts on all.
    """
    return apply_degradations(image, severities, rng, plate_corners).image


def apply_degradations(
    image: np.ndarray,
    severities: Mapping[str, int],
    rng: np.random.Generator,
    plate_corners: np.ndarray | None = None,
    points: np.ndarray | None = None,
) -> Degraded:
    """Like :func:`degrade`, and also return the plate corners and ``points`` (Nx2) moved with the picture.

    The returned corners have the shape they were given in. Raises KeyError
    for an unknown degradation and ValueError for a severity outside 0..4.
    """
    validate_severities(severities)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 uint8 image, got {image.dtype} {image.shape}")
    h, w = image.shape[:2]
    given = None if plate_corners is None else np.asarray(plate_corners, np.float32)
    plates = (given if given is not None else np.float32([[0, 0], [w, 0], [w, h], [0, h]])).reshape(-1, 4, 2)
    extra = None if points is None else np.asarray(points, np.float32).reshape(-1, 2)
    seeds = rng.integers(0, 2**63, len(REGISTRY))  # one stream per degradation, drawn whatever is enabled
    for (name, fn), seed in zip(REGISTRY.items(), seeds):
        severity = int(severities.get(name, 0))
        if severity == 0:
            continue
        result = fn(image, severity, np.random.default_rng(int(seed)), plates)
        if isinstance(result, Warped):
            image = result.image
            plates = result.move(plates.reshape(-1, 2)).reshape(-1, 4, 2)
            extra = None if extra is None else result.move(extra)
        else:
            image = result
    corners = None if given is None else plates.reshape(given.shape).astype(np.float32)
    return Degraded(image, corners, extra)


def validate_severities(severities: Mapping[str, int]) -> None:
    """Raise KeyError for an unknown degradation name, ValueError for a severity outside 0..4."""
    for name, severity in severities.items():
        if name not in REGISTRY:
            raise KeyError(f"unknown degradation {name!r}; known: {', '.join(REGISTRY)}")
        if not (isinstance(severity, (int, np.integer)) and 0 <= severity <= MAX_SEVERITY):
            raise ValueError(f"severity of {name!r} must be an integer 0..{MAX_SEVERITY}, got {severity!r}")


def jpeg_quality(severity: int) -> int:
    """The JPEG quality factor the ``jpeg`` degradation uses at ``severity`` (100 at 0)."""
    return (100, 55, 30, 15, 7)[severity]


# --------------------------------------------------------------------------
# Plate geometry shared by the degradations
# --------------------------------------------------------------------------


def _plate_size(plate: np.ndarray) -> tuple[float, float]:
    """Width and height of the plate in pixels (mean of opposite edges)."""
    width = (np.linalg.norm(plate[1] - plate[0]) + np.linalg.norm(plate[2] - plate[3])) / 2
    height = (np.linalg.norm(plate[3] - plate[0]) + np.linalg.norm(plate[2] - plate[1])) / 2
    return float(max(width, 1.0)), float(max(height, 1.0))


def _px_per_mm(plate: np.ndarray) -> float:
    """Pixels per millimetre on the plate: a wide plate is 520 mm (UK/EU), a squat one 305 mm (US)."""
    width, height = _plate_size(plate)
    return width / (520.0 if width / height > 3 else 305.0)


def _char_height(plate: np.ndarray) -> float:
    """Character height in pixels: 75 mm on UK/EU plates (79/72), 63 mm on US plates."""
    width, height = _plate_size(plate)
    return _px_per_mm(plate) * (75.0 if width / height > 3 else 63.0)


def _unit_to_image(plate: np.ndarray) -> np.ndarray:
    """Homography from plate space (u right, v down, the plate is the unit square) to pixels."""
    return cv2.getPerspectiveTransform(np.float32([[0, 0], [1, 0], [1, 1], [0, 1]]), plate.astype(np.float32))


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(image, 0, 255).astype(np.uint8)


@dataclass(frozen=True, slots=True)
class _Patch:
    """A float mask (0..1) covering the image box starting at (x, y)."""

    x: int
    y: int
    mask: np.ndarray

    def blend(self, image: np.ndarray, colour: np.ndarray, opacity: float = 1.0) -> None:
        """Paint ``colour`` (RGB, or an image the size of the patch) through the mask, in place (float)."""
        h, w = self.mask.shape
        region = image[self.y : self.y + h, self.x : self.x + w]
        change = np.asarray(colour, np.float32) - region
        change *= as_rgb(self.mask * opacity)
        region += change


def _plate_space_patch(local: np.ndarray, extent: float, plate: np.ndarray, shape: tuple[int, ...]) -> _Patch | None:
    """Warp a mask drawn in plate space (covering u, v in [-extent, 1 + extent]) into the image.

    Drawing dirt, snow and occluders in plate space makes them stick to the
    plate whatever its size and perspective; only the image box they land in
    is touched, so this is as cheap on a 1080p frame as on a crop.
    """
    mh, mw = local.shape
    span = 1 + 2 * extent
    local_to_unit = np.array([[span / mw, 0, -extent], [0, span / mh, -extent], [0, 0, 1]], np.float64)
    to_image = _unit_to_image(plate).astype(np.float64) @ local_to_unit
    outline = cv2.perspectiveTransform(np.float32([[[0, 0]], [[mw, 0]], [[mw, mh]], [[0, mh]]]), to_image)[:, 0]
    x0, y0 = np.maximum(np.floor(outline.min(axis=0)).astype(int), 0)
    x1, y1 = min(int(np.ceil(outline[:, 0].max())) + 1, shape[1]), min(int(np.ceil(outline[:, 1].max())) + 1, shape[0])
    if x1 <= x0 or y1 <= y0:
        return None
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    mask = cv2.warpPerspective(local.astype(np.float32), shift @ to_image, (int(x1 - x0), int(y1 - y0)),
                               flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return _Patch(int(x0), int(y0), mask)


def _blob_field(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    """Smooth random field (two octaves of upsampled noise): thresholded, it gives blobby shapes."""
    coarse = rng.standard_normal((max(height // cell, 2), max(width // cell, 2))).astype(np.float32)
    fine = rng.standard_normal((max(height // (cell // 2 or 1), 2), max(width // (cell // 2 or 1), 2))).astype(np.float32)
    return (cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
            + 0.5 * cv2.resize(fine, (width, height), interpolation=cv2.INTER_CUBIC))


def _coverage_mask(field: np.ndarray, extent: float, coverage: float, softness: float = 0.15) -> np.ndarray:
    """Threshold ``field`` so that ``coverage`` of the plate (the inner unit square) is covered.

    The same field thresholded at higher coverage covers a superset, so
    severities nest: a worse case has all of the milder one's dirt and more.
    """
    mh, mw = field.shape
    span = 1 + 2 * extent
    r0, r1 = int(mh * extent / span), int(mh * (1 + extent) / span)
    c0, c1 = int(mw * extent / span), int(mw * (1 + extent) / span)
    threshold = float(np.quantile(field[r0:r1, c0:c1], 1 - coverage))
    scale = softness * float(field.std()) + 1e-6
    return np.clip((field - threshold) / scale + 0.5, 0, 1)


def _plate_window(rows: int, cols: int, extent: float) -> np.ndarray:
    """1 on the plate, fading to 0 halfway across the margin: what sticks to the plate stays near it."""
    span = 1 + 2 * extent
    r = np.arange(rows, dtype=np.float32)[:, None]
    c = np.arange(cols, dtype=np.float32)[None, :]
    r0, r1 = rows * extent / span, rows * (1 + extent) / span
    c0, c1 = cols * extent / span, cols * (1 + extent) / span
    outside = np.hypot(np.maximum(np.maximum(r0 - r, r - r1), 0), np.maximum(np.maximum(c0 - c, c - c1), 0))
    return np.clip(1 - outside / (0.5 * r0), 0, 1)


def _plate_space_grid(plate: np.ndarray, extent: float, cells_high: int) -> tuple[int, int]:
    """Size of a plate-space canvas with square cells and ``cells_high`` rows over the plate."""
    width, height = _plate_size(plate)
    rows = int(cells_high * (1 + 2 * extent))
    cols = int(rows * width / height)
    return rows, max(cols, 2)


# --------------------------------------------------------------------------
# On the plate
# --------------------------------------------------------------------------


def dirt(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> np.ndarray:
    """Mud and road grime splashed on the plate, heavier toward the bottom (spray from the wheels).

    Severity is the share of the plate covered: 1: 4 % (a few splashes),
    2: 10 %, 3: 20 % (a winter's grime), 4: 35 % (characters partly lost).
    """
    plate = plates[0]
    coverage = (0.0, 0.04, 0.10, 0.20, 0.35)[severity]
    extent = 0.15
    rows, cols = _plate_space_grid(plate, extent, 48)
    field = _blob_field(rng, rows, cols, 6)
    field += np.linspace(-0.8, 0.8, rows, dtype=np.float32)[:, None] * float(rng.uniform(0.5, 1.5))
    mask = _coverage_mask(field, extent, coverage) * _plate_window(rows, cols, extent)
    patch = _plate_space_patch(mask, extent, plate, image.shape)
    if patch is None:
        return image
    out = image.astype(np.float32)
    mud = np.float32(rng.uniform([95, 75, 50], [135, 105, 75]))
    h, w = patch.mask.shape
    grain = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 1.5)
    patch.blend(out, mud * as_rgb(1 + 0.25 * grain), float(rng.uniform(0.75, 0.95)))
    return _to_uint8(out)


def bent(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> Warped:
    """A bent or crumpled plate: folded along a vertical line, curled, or dented.

    Severity is the largest displacement of the plate surface in the image,
    as a share of the plate height: 1: 5 % (a slight bow), 2: 10 % (a clear
    fold), 3: 16 %, 4: 25 % (a crumpled plate after a bump). Facets facing
    differently catch the light differently, so the fold also changes shading.
    """
    plate = plates[0]
    height = _plate_size(plate)[1]
    amplitude = (0.0, 0.05, 0.10, 0.16, 0.25)[severity] * height
    displacement = _bend_field(plate, amplitude, rng)
    margin = 0.6 * height
    x0, y0 = np.maximum(np.floor(plate.min(axis=0) - margin).astype(int), 0)
    x1 = min(int(np.ceil(plate[:, 0].max() + margin)), image.shape[1])
    y1 = min(int(np.ceil(plate[:, 1].max() + margin)), image.shape[0])
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
    d, light = displacement(grid, with_light=True)
    src = (grid - d).reshape(y1 - y0, x1 - x0, 2)
    out = image.copy()
    region = cv2.remap(image, src[..., 0], src[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    shaded = region.astype(np.float32) * as_rgb(light.reshape(y1 - y0, x1 - x0))
    out[y0:y1, x0:x1] = _to_uint8(shaded)

    def move(points: np.ndarray) -> np.ndarray:
        moved = points.astype(np.float32)
        for _ in range(12):  # solve p' - d(p') = p: the image was sampled at p' - d(p')
            moved = points + displacement(moved)[0]
        return moved.astype(np.float32)

    return Warped(out, move)


_BendField = Callable[..., "tuple[np.ndarray, np.ndarray | None]"]


def _bend_field(plate: np.ndarray, amplitude: float, rng: np.random.Generator) -> _BendField:
    """The displacement (and relighting) of a bent plate, as a function of image points."""
    to_unit = np.linalg.inv(_unit_to_image(plate))
    down = (plate[3] + plate[2] - plate[0] - plate[1]) / 2
    down = down / (np.linalg.norm(down) + 1e-6)
    right = np.array([down[1], -down[0]])
    kind = int(rng.integers(3))
    fold = float(rng.uniform(0.25, 0.75))
    sign = 1.0 if rng.random() < 0.5 else -1.0
    waves = rng.uniform([-6, -3, 0], [6, 3, 2 * np.pi], (4, 3))
    shade = float(rng.uniform(0.08, 0.2)) * amplitude / (_plate_size(plate)[1] * 0.25)

    def field(points: np.ndarray, with_light: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        uv = cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float32), to_unit).reshape(-1, 2)
        u, v = uv[:, 0], uv[:, 1]
        if kind == 0:  # folded along a vertical line
            shape = np.abs(u - fold) * 2 - 0.5
        elif kind == 1:  # curled: a bow across the width
            shape = 4 * (u - 0.5) ** 2 - 0.5
        else:  # dented: a few random ripples
            shape = sum(np.sin(a * u + b * v + c) for a, b, c in waves) / 2
        outside = np.maximum(np.maximum(-u, u - 1), 0) + np.maximum(np.maximum(-v, v - 1), 0) * 4
        window = np.clip(1 - outside / 0.35, 0, 1) ** 2
        s = (sign * amplitude * shape * window).astype(np.float32)
        d = s[:, None] * down[None, :].astype(np.float32) + (0.15 * np.abs(s))[:, None] * right[None, :].astype(np.float32)
        light = None
        if with_light:
            slope = np.sign(u - fold) if kind == 0 else (u - 0.5) * 2
            light = (1 + sign * shade * slope * window).astype(np.float32)
        return d, light

    return field


def steep_angle(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> Warped:
    """A strongly oblique view: the plate turned away from the camera about its vertical axis.

    Severity is the angle between the camera's line of sight and the plate's
    normal: 1: 30°, 2: 45°, 3: 60°, 4: 72° (characters a third of their width),
    with a little pitch. The whole image is re-projected through the plate's
    plane (exact for the plate; scenery off that plane is only approximated)
    and points move with it.
    """
    plate = plates[0]
    yaw = np.deg2rad((0, 30, 45, 60, 72)[severity]) * (1 if rng.random() < 0.5 else -1)
    pitch = np.deg2rad(rng.uniform(-4, 4) * severity)
    h, w = image.shape[:2]
    centre = plate.mean(axis=0)
    reach = float(np.max(np.abs(np.float32([[0, 0], [w, h]]) - centre)))
    # The nearer side of the plate grows, the farther shrinks; a focal length long enough
    # keeps every pixel of the image in front of the virtual camera.
    focal = max(2.5 * _plate_size(plate)[0], reach * (abs(np.sin(yaw)) + abs(np.sin(pitch))) / 0.6)
    x, y = (plate - centre).T
    depth = x * np.sin(yaw) + y * np.sin(pitch)
    scale = focal / (focal + depth)
    target = centre + np.stack([x * np.cos(yaw), y * np.cos(pitch)], axis=1) * scale[:, None]
    homography = cv2.getPerspectiveTransform(plate.astype(np.float32), target.astype(np.float32))
    # Replicating the edge (not mirroring) keeps a second, mirrored plate out of the picture.
    out = cv2.warpPerspective(image, homography, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def move(points: np.ndarray) -> np.ndarray:
        return cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float32), homography).reshape(-1, 2)

    return Warped(out, move)


def occlusion(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> np.ndarray:
    """Something between camera and plate: a charging cable, a tow or bike-rack bar, a leaf or bag.

    Severity is the share of the plate hidden: 1: 2 % (a stroke), 2: 3.5 %
    (part of a character, still readable), 3: 12 % (a character lost), 4: 25 %.
    """
    plate = plates[0]
    coverage = (0.0, 0.02, 0.035, 0.12, 0.25)[severity]
    extent = 0.5
    rows, cols = _plate_space_grid(plate, extent, 64)
    kind = int(rng.integers(3))
    if kind == 0:
        local = _cable(rng, rows, cols, extent, coverage)
        colour = rng.uniform(15, 45) * np.ones(3)
    elif kind == 1:
        local = _bar(rng, rows, cols, extent, coverage)
        colour = rng.uniform(30, 150) * np.ones(3)
    else:
        field = _blob_field(rng, rows, cols, 24)
        u = np.linspace(-extent, 1 + extent, cols, dtype=np.float32)[None, :]
        v = np.linspace(-extent, 1 + extent, rows, dtype=np.float32)[:, None]
        cu, cv = rng.uniform(0.1, 0.9, 2)
        field -= 3 * np.hypot((u - cu) * 2, v - cv)  # one lump, near a random spot of the plate
        local = _coverage_mask(field, extent, coverage, softness=0.05)
        colour = rng.uniform([60, 45, 20], [120, 110, 50])
    patch = _plate_space_patch(local, extent, plate, image.shape)
    if patch is None:
        return image
    out = image.astype(np.float32)
    h = patch.mask.shape[0]
    shading = 1 + np.linspace(0.15, -0.15, h, dtype=np.float32)[:, None, None]
    patch.blend(out, np.asarray(colour, np.float32) * shading)
    return _to_uint8(out)


def _cable(rng: np.random.Generator, rows: int, cols: int, extent: float, coverage: float) -> np.ndarray:
    """A sagging cable across the plate, its thickness set so it hides ``coverage`` of the plate."""
    span = 1 + 2 * extent
    y_left, y_right, sag = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(-0.3, 0.5)
    t = np.linspace(-extent, 1 + extent, 64)
    v = y_left + (y_right - y_left) * t + sag * 4 * t * (1 - t)
    pts = np.stack([(t + extent) / span * cols, (v + extent) / span * rows], axis=1)
    plate_rows = rows / span
    inner = (v >= 0) & (v <= 1) & (t >= 0) & (t <= 1)
    length_on_plate = max(float(np.sum(inner)) / len(t) * cols, 1.0)
    thickness = max(round(coverage * (cols / span) * plate_rows / length_on_plate), 1)
    mask = np.zeros((rows, cols), np.uint8)
    cv2.polylines(mask, [(pts * 16).astype(np.int32)], False, 255, thickness, cv2.LINE_AA, shift=4)
    return mask.astype(np.float32) * (1 / 255)


def _bar(rng: np.random.Generator, rows: int, cols: int, extent: float, coverage: float) -> np.ndarray:
    """A vertical bar (bike rack, tow bar) in front of the plate, as wide as ``coverage`` of it."""
    span = 1 + 2 * extent
    centre = rng.uniform(0.2, 0.8)
    half = coverage / 2
    x0, x1 = (centre - half + extent) / span * cols, (centre + half + extent) / span * cols
    mask = np.zeros((rows, cols), np.float32)
    mask[:, round(x0) : max(round(x1), round(x0) + 1)] = 1
    return mask


# --------------------------------------------------------------------------
# Illumination and weather
# --------------------------------------------------------------------------


def night_ir(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> np.ndarray:
    """Night with the camera's 850 nm IR illuminator: a dim grey scene and a glowing plate.

    At night the camera drops its IR-cut filter (monochrome picture) and lights
    the scene with its IR LEDs, whose beam fades away from its aim (the plate).
    Paint and tarmac return little of it; the plate's retro-reflective
    sheeting returns most of it straight to the camera, so the plate glows
    while its black characters stay dark. Severity is the ambient light left:
    1: dusk (ambient ~45 % of day), 2: a lit car park (~20 %), 3: dim lighting
    (~8 %), 4: no lighting, and the plate at the illuminator's range limit
    (scene mostly black, plate dimmer).
    """
    ambient = (1.0, 0.45, 0.2, 0.08, 0.03)[severity]
    ir = (0.0, 0.3, 0.3, 0.28, 0.15)[severity]
    plate_gain = (1.0, 1.0, 0.97, 0.9, 0.75)[severity] * float(rng.uniform(0.92, 1.0))
    rgb = image.astype(np.float32)
    grey = cv2.transform(rgb, np.float32([[0.3, 0.45, 0.25]]))  # near-IR response, red-weighted
    h, w = grey.shape
    aim = plates[0].mean(axis=0)
    reach = (0.35 * max(h, w)) ** 2
    beam = _smooth_map(h, w, lambda gx, gy: 1 / (1 + ((gx - aim[0]) ** 2 + (gy - aim[1]) ** 2) / reach))
    out = grey * (ambient + ir * beam)
    for plate in plates:  # every plate in view glows, the neighbour's too
        _retro_reflect(out, rgb, plate, plate_gain)
    return cv2.cvtColor(_to_uint8(out), cv2.COLOR_GRAY2RGB)


def _retro_reflect(out: np.ndarray, rgb: np.ndarray, plate: np.ndarray, gain: float) -> None:
    """Replace the plate area of the IR picture ``out`` by its retro-reflected glow (in place)."""
    h, w = out.shape
    x0, y0 = np.maximum(np.floor(plate.min(axis=0)).astype(int) - 1, 0)
    x1, y1 = np.minimum(np.ceil(plate.max(axis=0)).astype(int) + 2, (w, h))
    if x1 <= x0 or y1 <= y0:
        return
    box = rgb[y0:y1, x0:x1]
    reflect = np.clip((box.max(axis=2) - 45) / 160, 0, 1)  # dyes pass IR, black ink absorbs it
    glow = (20 + 225 * reflect) * gain
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(mask, ((plate - (x0, y0)) * 16).astype(np.int32), 255, cv2.LINE_AA, shift=4)
    region = out[y0:y1, x0:x1]
    region += (glow - region) * (mask.astype(np.float32) * (1 / 255))


def _smooth_map(height: int, width: int, fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """A smooth function of pixel position, evaluated on a coarse grid and upscaled (cheap on big frames)."""
    step = max(max(height, width) // 160, 1)
    gy, gx = np.mgrid[0 : height + step : step, 0 : width + step : step].astype(np.float32)
    coarse = fn(gx, gy).astype(np.float32)
    full = cv2.resize(coarse, (coarse.shape[1] * step, coarse.shape[0] * step), interpolation=cv2.INTER_LINEAR)
    return full[:height, :width]


def snow(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> np.ndarray:
    """Falling snow and snow stuck to the plate (mostly along its top edge).

    Severity: 1: light flurries, 3 % of the plate covered; 2: steady snowfall,
    10 %; 3: heavy snow, 22 %, flatter light; 4: blizzard, 40 % covered, big
    out-of-focus flakes right in front of the lens.
    """
    plate = plates[0]
    cover = (0.0, 0.03, 0.10, 0.22, 0.40)[severity]
    flakes_per_mpx = (0, 600, 2000, 5000, 9000)[severity]
    extent = 0.1
    rows, cols = _plate_space_grid(plate, extent, 40)
    field = _blob_field(rng, rows, cols, 8)
    field += np.linspace(1.2, -1.2, rows, dtype=np.float32)[:, None]  # snow settles on the top edge
    out = image.astype(np.float32)
    patch = _plate_space_patch(_coverage_mask(field, extent, cover, 0.25), extent, plate, image.shape)
    if patch is not None:
        patch.blend(out, np.float32([238, 242, 248]), 0.97)
    flatten = (0.0, 0.04, 0.08, 0.15, 0.25)[severity]
    out += (np.float32(205) - out) * flatten
    out = _flakes(out, rng, flakes_per_mpx, severity)
    return _to_uint8(out)


def _flakes(image: np.ndarray, rng: np.random.Generator, per_mpx: float, severity: int) -> np.ndarray:
    h, w = image.shape[:2]
    count = int(per_mpx * h * w / 1e6) + severity * 3
    layer = np.zeros((h, w), np.uint8)
    size = max(h, w)
    # Mostly small flakes; a few big soft ones falling right past the lens.
    radii = np.clip(rng.pareto(3.5, count) * size * 0.0012 + 0.6, 0.6, size * 0.008 * severity / 4 + 1)
    xs, ys = rng.uniform(0, w, count), rng.uniform(0, h, count)
    levels = rng.integers(120, 256, count)
    for x, y, r, level in zip(xs, ys, radii, levels):
        cv2.circle(layer, (int(x * 16), int(y * 16)), int(r * 16), int(level), -1, cv2.LINE_AA, shift=4)
    soft = cv2.GaussianBlur(layer.astype(np.float32) * (1 / 255), (0, 0), max(size * 0.0015, 0.5))
    return image + (np.float32(245) - image) * as_rgb(soft)


def rain(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> np.ndarray:
    """Rain: bright streaks of falling drops, drops on the lens, and washed-out contrast.

    Severity is the rainfall rate: 1: drizzle (~2 mm/h), 2: moderate
    (~8 mm/h), 3: heavy (~25 mm/h) with a few drops on the lens, 4: downpour
    (~60 mm/h), many lens drops and strong contrast loss.
    """
    h, w = image.shape[:2]
    size = max(h, w)
    streaks = int((0, 400, 1000, 2000, 3500)[severity] * h * w / 1e6 + 8 * severity)
    out = image.astype(np.float32)
    haze = (0.0, 0.05, 0.1, 0.18, 0.28)[severity]
    out += (out.mean() * 0.8 + 40 - out) * haze
    angle = np.deg2rad(rng.normal(0, 12))
    lengths = rng.uniform(0.02, 0.07, streaks) * size
    x0, y0 = rng.uniform(0, w, streaks), rng.uniform(-0.05 * h, h, streaks)
    x1, y1 = x0 + np.sin(angle) * lengths, y0 + np.cos(angle) * lengths
    layer = np.zeros((h, w), np.uint8)
    for k, level in enumerate((60, 100, 150)):  # three brightnesses of streak
        pick = slice(k, None, 3)
        lines = np.stack([x0[pick], y0[pick], x1[pick], y1[pick]], axis=1).reshape(-1, 2, 2)
        cv2.polylines(layer, list((lines * 16).astype(np.int32)), False, level, max(int(size / 900), 1),
                      cv2.LINE_AA, shift=4)
    streak = cv2.GaussianBlur(layer.astype(np.float32) * (1 / 255), (0, 0), max(size * 0.0008, 0.5))
    out += (np.float32(225) - out) * as_rgb(streak * 0.8)
    drops = (0, 0, 1, 4, 10)[severity]
    if drops:
        out = _lens_drops(out, rng, drops)
    return _to_uint8(out)


def _lens_drops(image: np.ndarray, rng: np.random.Generator, count: int) -> np.ndarray:
    """Water drops on the lens: round patches that show a blurred, brightened picture."""
    h, w = image.shape[:2]
    size = max(h, w)
    small = cv2.resize(image, (max(w // 4, 1), max(h // 4, 1)), interpolation=cv2.INTER_AREA)
    blurred = cv2.resize(cv2.GaussianBlur(small, (0, 0), size * 0.003), (w, h)) * 1.08 + 8
    mask = np.zeros((h, w), np.uint8)
    for _ in range(count):
        r = rng.uniform(0.02, 0.07) * size
        cv2.circle(mask, (int(rng.uniform(0, w) * 16), int(rng.uniform(0, h) * 16)), int(r * 16), 255, -1,
                   cv2.LINE_AA, shift=4)
    soft = as_rgb(cv2.GaussianBlur(mask.astype(np.float32) * (1 / 255), (0, 0), size * 0.004))
    return image + (blurred - image) * soft


def fog(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> np.ndarray:
    """Fog or haze: the picture fades toward the airlight, I = J t + A (1 - t), t = exp(-3.9 d / V).

    Severity is the meteorological visibility V for a plate ~6 m away: 1:
    800 m haze (t 0.97), 2: 200 m mist (t 0.89), 3: 60 m fog (t 0.68), 4: 25 m
    thick fog (t 0.39). The airlight follows the scene's own brightness (grey
    by day, dim at night); in wide frames farther (higher) parts fade more.
    Scattered light also softens edges a little.
    """
    plate = plates[0]
    visibility = (np.inf, 800.0, 200.0, 60.0, 25.0)[severity]
    h = image.shape[0]
    rgb = image.astype(np.float32)
    depth = np.full((h, 1), _ASSUMED_PLATE_DISTANCE_M, np.float32)
    plate_h = _plate_size(plate)[1]
    if plate_h < 0.2 * h:  # a wide view: rows above the plate are farther away
        rows = np.arange(h, dtype=np.float32)[:, None]
        depth *= np.clip(1 + 1.5 * (plate.mean(axis=0)[1] - rows) / h, 0.6, 2.5)
    t = np.exp(-3.912 * depth / visibility)
    airlight = float(np.clip(rgb.mean() * 1.3 + rng.uniform(20, 50), 40, 235))
    sigma = (1 - float(t.mean())) * plate_h * 0.03
    if sigma > 0.3:
        rgb = cv2.GaussianBlur(rgb, (0, 0), sigma)
    t3 = t[:, :, None]
    return _to_uint8(rgb * t3 + airlight * (1 - t3))


def glare(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> np.ndarray:
    """Headlight or low-sun glare and the sensor's blooming (the bright spot bleeds, WDR fails).

    A light source near the plate adds a glow that falls off with distance
    and a few diffraction rays. Severity is the source's brightness relative to
    the sensor's saturation and its glow's size: 1: a veiling glow beside the
    plate, 2: a bright lamp, characters near it lose contrast but stay
    readable, 3: saturated bloom bleaches a character or two, 4: much of the
    plate washed out.
    """
    plate = plates[0]
    strength = (0.0, 0.3, 0.42, 0.6, 0.95)[severity]
    width, height = _plate_size(plate)
    radius = width * (0.0, 0.2, 0.24, 0.3, 0.45)[severity]
    h, w = image.shape[:2]
    centre = plate.mean(axis=0)
    angle = rng.uniform(0, 2 * np.pi)
    source = centre + np.array([np.cos(angle) * width, np.sin(angle) * height]) * rng.uniform(0.3, 0.8)
    step = max(int(max(h, w) / 160), 1)  # the glow is smooth: compute it coarse, then upscale
    gy, gx = np.mgrid[0:h:step, 0:w:step].astype(np.float32)
    dist = np.hypot(gx - source[0], gy - source[1])
    glow = np.exp(-((dist / radius) ** 2)) + 0.15 * radius / (dist + radius)
    rays = np.zeros_like(glow)
    for k in range(int(rng.integers(4, 7))):
        a = angle + k * np.pi / 3 + rng.uniform(-0.2, 0.2)
        along = (gx - source[0]) * np.cos(a) + (gy - source[1]) * np.sin(a)
        across = -(gx - source[0]) * np.sin(a) + (gy - source[1]) * np.cos(a)
        rays += np.exp(-(across / (radius * 0.04 + 1)) ** 2) * np.exp(-np.abs(along) / (radius * 2))
    light = cv2.resize((glow + 0.3 * rays).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    tint = np.float32(rng.uniform([235, 235, 220], [255, 250, 255]))
    out = image.astype(np.float32) + as_rgb(light * strength) * tint
    bright = np.clip(out.max(axis=2) - 255, 0, None)  # what saturated bleeds into its surroundings
    bloom = cv2.GaussianBlur(bright, (0, 0), max(height * 0.15, 1.0))
    out += as_rgb(bloom * 0.6)
    return _to_uint8(out)


# --------------------------------------------------------------------------
# Optics, sensor, encoder
# --------------------------------------------------------------------------


def motion_blur(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> np.ndarray:
    """Blur from the car moving during the exposure (a straight, directional smear).

    Severity is speed and shutter time, giving the distance the plate moves
    while the shutter is open: 1: 5 km/h at 1/500 s (3 mm), 2: 10 km/h at
    1/250 s (11 mm, strokes soften but stay apart), 3: 10 km/h at 1/125 s
    (22 mm, narrow characters run into each other), 4: 15 km/h at 1/60 s
    (70 mm, more than a character is wide). The whole frame is smeared, as with
    camera shake too; OCR only cares about the plate.
    """
    plate = plates[0]
    speed_kmh, shutter_s = ((0, 0), (5, 1 / 500), (10, 1 / 250), (10, 1 / 125), (15, 1 / 60))[severity]
    length = speed_kmh / 3.6 * shutter_s * 1000 * _px_per_mm(plate)
    angle = rng.normal(0, 25) if rng.random() < 0.7 else rng.uniform(0, 180)  # mostly across the frame
    kernel = _line_kernel(max(length, 1.0), float(angle))
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT_101)


def _line_kernel(length: float, angle_deg: float) -> np.ndarray:
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size * 4, size * 4), np.float32)
    c = size * 2
    dx, dy = np.cos(np.deg2rad(angle_deg)) * length * 2, np.sin(np.deg2rad(angle_deg)) * length * 2
    cv2.line(kernel, (int((c - dx) * 16), int((c - dy) * 16)), (int((c + dx) * 16), int((c + dy) * 16)), 1.0, 4,
             cv2.LINE_AA, shift=4)
    kernel = cv2.resize(kernel, (size, size), interpolation=cv2.INTER_AREA)
    return kernel / max(float(kernel.sum()), 1e-6)


def defocus(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> np.ndarray:
    """Out of focus: each point spreads into a disk (the lens's circle of confusion).

    Severity is the disk's diameter as a share of the character height:
    1: 6 % (slightly soft), 2: 12 % (strokes merge at small sizes), 3: 22 %,
    4: 35 % (characters blobs).
    """
    plate = plates[0]
    diameter = (0.0, 0.06, 0.12, 0.22, 0.35)[severity] * _char_height(plate) * float(rng.uniform(0.9, 1.1))
    return cv2.filter2D(image, -1, _disk_kernel(max(diameter, 1.0) / 2), borderType=cv2.BORDER_REFLECT_101)


def _disk_kernel(radius: float) -> np.ndarray:
    size = int(np.ceil(radius)) * 2 + 1
    big = np.zeros((size * 8, size * 8), np.float32)
    cv2.circle(big, (size * 4, size * 4), round(radius * 8), 1.0, -1, cv2.LINE_AA)
    kernel = cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA)
    return kernel / float(kernel.sum())


def low_res(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> np.ndarray:
    """Too few pixels on the plate: sampled down to a character height of N pixels, then scaled back up.

    Severity is N: 1: 20 px (fine for OCR), 2: 13 px, 3: 9 px (the limit
    for most readers), 4: 6 px. Images already at or below N are left as they are.
    """
    plate = plates[0]
    target = (0, 20, 13, 9, 6)[severity]
    scale = target / _char_height(plate)
    if scale >= 1:
        return image
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(round(w * scale), 1), max(round(h * scale), 1)),
                       interpolation=cv2.INTER_AREA)
    method = cv2.INTER_LINEAR if rng.random() < 0.7 else cv2.INTER_CUBIC
    return cv2.resize(small, (w, h), interpolation=method)


def noise(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> np.ndarray:
    """Sensor noise at high gain: signal-dependent shot noise, read noise, some colour noise.

    Severity is the analogue gain (ISO) a dim scene forces: 1: ISO ~800
    (sigma ~3 grey levels), 2: ~3200 (~6), 3: ~12800 (~12, hot pixels appear),
    4: ~51200 (~22, grain dominates).
    """
    read = (0.0, 2.0, 4.0, 8.0, 15.0)[severity]
    shot = (0.0, 0.15, 0.3, 0.55, 0.9)[severity]
    rgb = image.astype(np.float32)
    sigma = np.sqrt(read**2 + shot**2 * rgb)
    h, w = rgb.shape[:2]
    luma = rng.standard_normal((h, w), dtype=np.float32)
    chroma = rng.standard_normal((h, w, 3), dtype=np.float32)
    out = rgb + sigma * (as_rgb(luma) * 0.8 + chroma * 0.45)
    if severity >= 3:
        hot = rng.random((h, w)) < (0.0005 * (severity - 2))
        out[hot] = 255
    return _to_uint8(out)


def jpeg(image: np.ndarray, severity: int, rng: np.random.Generator, plates: np.ndarray) -> np.ndarray:
    """JPEG compression by the camera or the video pipeline: 8x8 blocks, ringing, colour bleeding.

    Severity is the quality factor (see :func:`jpeg_quality`): 1: 55, 2: 30,
    3: 15 (blocks visible), 4: 7 (an overloaded stream).
    """
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality(severity)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


#: All degradations, in the order they are applied (the light path: plate,
#: view, things in between, illumination, weather, glare, optics, sensor, encoder).
REGISTRY: dict[str, Degradation] = {
    "dirt": dirt,
    "bent": bent,
    "steep_angle": steep_angle,
    "occlusion": occlusion,
    "night_ir": night_ir,
    "snow": snow,
    "rain": rain,
    "fog": fog,
    "glare": glare,
    "motion_blur": motion_blur,
    "defocus": defocus,
    "low_res": low_res,
    "noise": noise,
    "jpeg": jpeg,
}
