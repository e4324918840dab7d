"""A bay camera's view: a car in its EV bay, its plate, and maybe the neighbour's car.

The live system crops plates out of frames like these and must keep only the
plate of the bay a camera watches: a neighbour's plate in view must be
rejected by the bay's region of interest (ROI). So every frame comes with the
ROI (the camera's view of its own bay floor) and the exact corners of every
plate drawn.

The scene is real 3D geometry, kept simple: a pinhole camera on a pole or
wall in front of a row of bays looks down at the cars' fronts (or rears).
The ground (tarmac, bay lines, EV paint, shadows) is drawn top-down and warped
into the frame by the ground homography; each car is a box of projected
polygons (roof, glass, bonnet, side) with a textured front face that carries
the plate and is warped by its own homography. Camera height, distance, field
of view, yaw/pitch/roll, bay size, car size, colour and position vary; a
layout is drawn again until the plate is fully in frame and inside the ROI
(and, if there is one, the neighbour's plate is in frame and outside it).

The same bays can be seen from the street instead (``viewpoint="street"``): a
camera at head or bumper height, close and off the car's axis, as a phone or a
passing camera sees a parked car; its plates are larger and turned, which a
detector must also find whole.

Coordinates: world x to the right along the row of bays, y away from the
camera along the bay, z up, in metres. The camera's own bay is
x in [-W/2, W/2], y in [0, L]; neighbours are at x +- W.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from baytwin.core.plates import PlateFormat, load_formats, sanitize
from baytwin.sim.imagery.plates import (
    STYLES,
    Colour,
    as_format,
    as_rgb,
    car_colour,
    noise_field,
    paste_warped,
    random_plate_text,
    render_plate_face,
    styles_for,
    text_ink,
)

DEFAULT_SIZE = (1280, 720)
VIEWPOINTS = ("bay", "street")
_GROUND_RES_M = 0.02  # metres per pixel of the top-down ground texture
_MAX_TRIES = 400


@dataclass(frozen=True, slots=True)
class Camera:
    """A pinhole camera: world points (metres) to pixels."""

    position: np.ndarray  # (3,)
    rotation: np.ndarray  # 3x3, world -> camera axes (x right, y down, z forward)
    focal: float  # pixels
    size: tuple[int, int]  # width, height
    principal: tuple[float, float] | None = None  # where the optical axis meets the image (default: its centre)

    def depth(self, points: np.ndarray) -> np.ndarray:
        """Distance of each point along the optical axis (negative: behind the camera)."""
        return (np.atleast_2d(points) - self.position) @ self.rotation[2]

    def project(self, points: np.ndarray) -> np.ndarray:
        """Pixel coordinates (float32 Nx2) of world points (Nx3) in front of the camera."""
        cam = (np.atleast_2d(points) - self.position) @ self.rotation.T
        centre = np.array(self.principal if self.principal is not None else self.size, np.float64)
        if self.principal is None:
            centre /= 2
        return (cam[:, :2] / cam[:, 2:3] * self.focal + centre).astype(np.float32)

    def window(self, x0: int, y0: int, width: int, height: int) -> Camera:
        """The same camera seeing only the pixels from (x0, y0), ``width`` x ``height``: for drawing one
        object into a small canvas instead of a whole frame."""
        cx, cy = self.principal if self.principal is not None else (self.size[0] / 2, self.size[1] / 2)
        return Camera(self.position, self.rotation, self.focal, (width, height), (cx - x0, cy - y0))


@dataclass(frozen=True, slots=True)
class ScenePlate:
    """A plate as drawn in a frame: its text and where its corners are."""

    text: str  # compact, e.g. "AB12CDE"
    format: str
    style: str
    corners: np.ndarray  # float32 4x2: top-left, top-right, bottom-right, bottom-left (pixels)


@dataclass(frozen=True, slots=True)
class Scene:
    """One bay-camera frame and its ground truth."""

    image: np.ndarray  # HxWx3 uint8, RGB
    roi: np.ndarray  # float32 Nx2: the camera's own bay floor, clipped to the frame
    plate: ScenePlate  # the car in the camera's own bay
    neighbour: ScenePlate | None  # a car in the next bay, partly in view, or None
    camera: Camera


def render_scene(
    rng: np.random.Generator,
    *,
    size: tuple[int, int] = DEFAULT_SIZE,
    fmt: PlateFormat | str | None = None,
    text: str | None = None,
    style: str | None = None,
    neighbour: bool | None = None,
    formats: Sequence[str] | None = None,
    viewpoint: str = "bay",
) -> Scene:
    """Draw a bay camera's frame of ``size`` (width, height), e.g. (1280, 720) or (1920, 1080).

    ``viewpoint="street"`` draws the same bays as a person with a phone or a street camera sees them
    instead (:func:`_street_camera`): lower, closer, from the side, the plate larger and turned; the
    ROI is then the bay's space from the floor to 1.5 m (:func:`_street_roi`), and the neighbour's plate may
    stand anywhere.

    ``fmt``/``text``/``style`` fix the own car's plate (default: random from
    ``formats``, default all formats). ``neighbour`` forces a car in the next
    bay with its own plate in view (True), forbids it (False) or leaves it to
    chance (None, 40 %). The neighbour's plate format is drawn from the same
    formats.
    """
    names = list(formats) if formats else list(load_formats())
    own_fmt = as_format(fmt) if fmt is not None else as_format(names[int(rng.integers(len(names)))])
    want_neighbour = bool(rng.random() < 0.4) if neighbour is None else neighbour
    own_spec = PlateSpec.draw(own_fmt, rng, text, style)
    other_spec = PlateSpec.draw(as_format(names[int(rng.integers(len(names)))]), rng) if want_neighbour else None
    if viewpoint not in VIEWPOINTS:
        raise ValueError(f"viewpoint {viewpoint!r}: one of {', '.join(VIEWPOINTS)}")
    layout = _sample_layout(rng, size, own_spec, other_spec, street=viewpoint == "street")

    frame = _draw_ground(layout, rng)
    _draw_background(frame, layout, rng)
    drawn: list[ScenePlate] = []
    for vehicle, spec in layout.vehicles(own_spec, other_spec):
        draw_body(frame, layout.camera, vehicle)
        drawn.append(_draw_face(frame, layout.camera, vehicle, spec, rng))
    if layout.charger is not None:
        _draw_box(frame, layout.camera, layout.charger, (205, 210, 212))
    _camera_look(frame, rng)
    image = np.clip(frame, 0, 255).astype(np.uint8)
    own, other = drawn[-1], (drawn[0] if len(drawn) == 2 else None)
    return Scene(image, layout.roi, own, other, layout.camera)


# --------------------------------------------------------------------------
# Layout: camera, bays, cars
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlateSpec:
    """The plate a car carries, chosen before the car is placed."""

    fmt: PlateFormat
    text: str
    style: str

    @classmethod
    def draw(cls, fmt: PlateFormat, rng: np.random.Generator, text: str | None = None,
             style: str | None = None) -> PlateSpec:
        styles = styles_for(fmt)
        if text is not None:
            fmt.display_text(text)  # raises ValueError if it is not a plate of fmt
            text = sanitize(text)
        return cls(fmt, text or random_plate_text(fmt, rng), style or styles[int(rng.integers(len(styles)))])

    @property
    def size_m(self) -> tuple[float, float]:
        w, h = STYLES[self.style].size_mm
        return w / 1000, h / 1000


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A car as a box: front (or rear) face at ``origin``, body extending into the bay."""

    origin: np.ndarray  # world point: centre of the face, on the ground
    yaw: float  # radians, 0 = square to the bay
    width: float
    length: float
    face_bottom: float  # bumper underside
    face_top: float  # bonnet (or boot) edge
    roof: float
    bonnet: float  # length of the bonnet (boot) before the glass starts
    colour: Colour
    rear: bool  # parked nose-in: the camera sees the rear
    grille: bool
    plate_offset: float  # lateral offset of the plate centre on the face
    plate_height: float  # height of the plate centre above the ground

    def world(self, a: np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray:
        """World points from car coordinates: a across (right +), b into the bay, z up."""
        a, b, z = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float), np.asarray(z, float))
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        x = self.origin[0] + a * c - b * s
        y = self.origin[1] + a * s + b * c
        return np.stack([x, y, z], axis=-1).reshape(-1, 3)

    def plate_world(self, size_m: tuple[float, float]) -> np.ndarray:
        w, h = size_m
        a = self.plate_offset + np.array([-w, w, w, -w]) / 2
        z = self.plate_height + np.array([h, h, -h, -h]) / 2
        return self.world(a, -0.01, z)

    def outline(self) -> np.ndarray:
        """The corners of the car's bounding box, for occlusion tests."""
        a = np.array([-1, 1, 1, -1, -1, 1, 1, -1]) * self.width / 2
        b = np.array([0, 0, 1, 1, 0, 0, 1, 1]) * self.length
        z = np.array([0, 0, 0, 0, 1, 1, 1, 1]) * self.roof
        return self.world(a, b, z)


@dataclass(frozen=True, slots=True)
class _Layout:
    camera: Camera
    bay_width: float
    bay_length: float
    own: Vehicle
    other: Vehicle | None
    roi: np.ndarray
    charger: np.ndarray | None  # 8 world corners of the charging post, or None

    def vehicles(self, own: PlateSpec, other: PlateSpec | None) -> list[tuple[Vehicle, PlateSpec]]:
        """Cars in drawing order: the neighbour first, as the own car may hide part of it."""
        pairs = [(self.own, own)]
        if self.other is not None and other is not None:
            pairs.insert(0, (self.other, other))
        return pairs


def _sample_layout(rng: np.random.Generator, size: tuple[int, int], own: PlateSpec,
                   other: PlateSpec | None, street: bool = False) -> _Layout:
    """Draw bays, cars and camera until the frame is usable ground truth.

    Usable: the own plate fully in frame, a sensible size, inside the ROI;
    the neighbour's plate (if any) fully in frame, outside the ROI and not
    hidden by the own car. Rejection keeps the sampling simple and every
    parameter's range honest.
    """
    width = size[0]
    for _ in range(_MAX_TRIES):
        bay_w, bay_l = float(rng.uniform(2.4, 3.0)), float(rng.uniform(4.8, 5.6))
        own_car = random_vehicle(rng, 0.0, bay_w, own)
        side = 1 if rng.random() < 0.5 else -1
        other_car = random_vehicle(rng, side * bay_w, bay_w, other) if other is not None else None
        if street:
            camera = _street_camera(rng, size, own_car, own)
        else:
            camera = _draw_camera(rng, size, own_car, own, side if other is not None else 0, bay_w)
            if not np.deg2rad(8) <= np.arcsin(-camera.rotation[2, 2]) <= np.deg2rad(50):
                continue  # bay cameras look down, but not straight down
        roi = _street_roi(camera, bay_w, bay_l, size) if street else \
            project_clipped(camera, np.array([[-bay_w / 2, 0, 0], [bay_w / 2, 0, 0],
                                              [bay_w / 2, bay_l, 0], [-bay_w / 2, bay_l, 0]]), size)
        if roi is None:
            continue
        plate = _visible_plate(camera, own_car, own, size)
        if plate is None or not _inside(roi, plate, 2.0):
            continue
        plate_w = float(np.linalg.norm(plate[1] - plate[0]))
        if not 0.04 * width <= plate_w <= 0.4 * width:
            continue
        if other_car is not None and other is not None:
            theirs = _visible_plate(camera, other_car, other, size)
            if theirs is None or not (street or _outside(roi, theirs, 2.0)):
                continue
            if float(np.linalg.norm(theirs[1] - theirs[0])) < 0.03 * width:
                continue
            if _overlaps(camera.project(own_car.outline()), theirs):
                continue  # hidden behind the own car
        charger = _draw_charger(rng, bay_w, side) if rng.random() < 0.6 else None
        hull = camera.project(charger) if charger is not None and np.all(camera.depth(charger) > 2.0) else None
        if hull is None or any(_overlaps(hull, p) for p in _plates(camera, own_car, own, other_car, other)):
            charger = None
        return _Layout(camera, bay_w, bay_l, own_car, other_car, roi, charger)
    raise RuntimeError(f"could not lay out a usable bay scene for frame size {size} in {_MAX_TRIES} tries")


def random_vehicle(rng: np.random.Generator, bay_x: float, bay_w: float, plate: PlateSpec) -> Vehicle:
    """A car of a random class parked in the bay centred at ``bay_x``, roughly square."""
    width, length, top, roof = (
        ((1.72, 4.05, 0.82, 1.45), (1.82, 4.7, 0.78, 1.44), (1.9, 4.7, 0.98, 1.68), (2.0, 5.1, 1.08, 1.95))
    )[int(rng.choice(4, p=[0.3, 0.3, 0.3, 0.1]))]
    width *= rng.uniform(0.97, 1.03)
    plate_h = plate.size_m[1]
    bottom = float(rng.uniform(0.16, 0.26))
    plate_z = float(rng.uniform(max(bottom + plate_h / 2 + 0.05, 0.3), min(top - plate_h / 2 - 0.08, 0.65)))
    rear = plate.style == "uk_rear" or (plate.style != "uk_front" and rng.random() < 0.3)
    return Vehicle(
        origin=np.array([bay_x + rng.uniform(-0.3, 0.3) * (bay_w - width) / 0.9, rng.uniform(0.15, 0.9), 0.0]),
        yaw=float(np.deg2rad(np.clip(rng.normal(0, 3), -8, 8))),
        width=float(width), length=length, face_bottom=bottom, face_top=top, roof=roof,
        bonnet=float(rng.uniform(0.55, 0.8) if rear else rng.uniform(0.9, 1.3)),
        colour=car_colour(rng), rear=rear, grille=bool(rng.random() < 0.65),
        plate_offset=float(rng.normal(0, 0.02)), plate_height=plate_z,
    )


def _draw_camera(rng: np.random.Generator, size: tuple[int, int], car: Vehicle, spec: PlateSpec,
                 lean: int, bay_w: float) -> Camera:
    """A camera on a pole or wall ahead of the bays, aimed near the own plate, with random yaw/pitch/roll.

    ``lean`` (-1, 0, 1) shifts camera and aim toward a neighbour that must be in view.
    """
    width, height = size
    position = np.array([rng.uniform(-1.2, 1.2) + lean * rng.uniform(0, 0.8) * bay_w / 2,
                         -rng.uniform(1.0, 5.0) - (1.0 if lean else 0.0), rng.uniform(2.0, 4.0)])
    plate = car.world(car.plate_offset, 0, car.plate_height)[0]
    # Installers pick the lens so the plate gets enough pixels: choose the plate's width in
    # the frame, then the focal length that gives it (within what real lenses offer).
    plate_px = width * rng.uniform(0.07, 0.2) * (0.75 if lean else 1.0)
    focal = plate_px * float(np.linalg.norm(plate - position)) / spec.size_m[0]
    focal = float(np.clip(focal, width / 2 / np.tan(np.deg2rad(50)), width / 2 / np.tan(np.deg2rad(17.5))))
    target = plate + np.array([rng.uniform(-0.5, 0.5) + lean * rng.uniform(0.3, 0.9) * bay_w / 2,
                               rng.uniform(-0.3, 1.0), rng.uniform(-0.3, 0.3)])
    forward = target - position
    yaw = np.arctan2(forward[0], forward[1]) + np.deg2rad(rng.normal(0, 2))
    pitch = np.arctan2(-forward[2], np.hypot(forward[0], forward[1])) + np.deg2rad(rng.normal(0, 2))
    roll = np.deg2rad(np.clip(rng.normal(0, 1.5), -4, 4))
    return Camera(position, rotation(yaw, pitch, roll), focal, (width, height))


def _street_camera(rng: np.random.Generator, size: tuple[int, int], car: Vehicle, spec: PlateSpec) -> Camera:
    """A camera at head or bumper height, 1-4.5 m from the plate and up to 50 degrees off the car's axis,
    aimed near the plate: how a phone photographs a parked car, or a street camera passes it. Its plate
    spans 6-35 % of the frame's width, turned by the angle it is seen from."""
    width, height = size
    plate = car.world(car.plate_offset, 0, car.plate_height)[0]
    off_axis = np.deg2rad(rng.uniform(-50, 50)) + car.yaw
    distance = rng.uniform(1.0, 4.5)
    position = plate + np.array([np.sin(off_axis) * distance, -np.cos(off_axis) * distance, 0.0])
    position[2] = rng.uniform(0.7, 1.8)
    plate_px = width * rng.uniform(0.06, 0.35)
    focal = plate_px * float(np.linalg.norm(plate - position)) / spec.size_m[0]
    focal = float(np.clip(focal, width / 2 / np.tan(np.deg2rad(50)), width / 2 / np.tan(np.deg2rad(8))))
    target = plate + np.array([rng.uniform(-0.2, 0.2), rng.uniform(0.0, 0.4), rng.uniform(-0.1, 0.2)])
    forward = target - position
    yaw = np.arctan2(forward[0], forward[1])
    pitch = np.arctan2(-forward[2], np.hypot(forward[0], forward[1]))
    roll = np.deg2rad(np.clip(rng.normal(0, 3), -8, 8))
    return Camera(position, rotation(yaw, pitch, roll), focal, (width, height))


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """World -> camera rotation for a camera turned ``yaw`` right of +y and tilted ``pitch`` down."""
    forward = np.array([np.sin(yaw) * np.cos(pitch), np.cos(yaw) * np.cos(pitch), -np.sin(pitch)])
    right = np.array([np.cos(yaw), -np.sin(yaw), 0.0])
    down = np.cross(forward, right)
    c, s = np.cos(roll), np.sin(roll)
    right, down = c * right + s * down, -s * right + c * down
    return np.stack([right, down, forward])


def _draw_charger(rng: np.random.Generator, bay_w: float, neighbour_side: int) -> np.ndarray:
    """A charging post at the head of the bay, on the side away from the neighbour in view."""
    side = -neighbour_side if neighbour_side else (1 if rng.random() < 0.5 else -1)
    x = side * bay_w / 2 + rng.uniform(-0.15, 0.15)
    y = -rng.uniform(0.3, 0.6)
    w, d, h = rng.uniform(0.25, 0.4), rng.uniform(0.2, 0.3), rng.uniform(1.1, 1.6)
    xs, ys, zs = np.array([-1, 1, 1, -1]) * w / 2 + x, np.array([-1, -1, 1, 1]) * d / 2 + y, (0.0, h)
    return np.array([[xs[i], ys[i], z] for z in zs for i in range(4)])


def _visible_plate(camera: Camera, car: Vehicle, plate: PlateSpec, size: tuple[int, int]) -> np.ndarray | None:
    """The plate's corners in pixels if it faces the camera and is fully inside the frame (with a margin)."""
    world = car.plate_world(plate.size_m)
    if np.any(camera.depth(world) < 0.5):
        return None
    corners = camera.project(world)
    margin = 0.02 * size[0]
    inside = (corners >= margin).all() and (corners[:, 0] <= size[0] - margin).all() and (
        corners[:, 1] <= size[1] - margin).all()
    return corners if inside else None


def _plates(camera: Camera, own: Vehicle, own_plate: PlateSpec, other: Vehicle | None,
            other_plate: PlateSpec | None) -> list[np.ndarray]:
    plates = [camera.project(own.plate_world(own_plate.size_m))]
    if other is not None and other_plate is not None:
        plates.append(camera.project(other.plate_world(other_plate.size_m)))
    return plates


#: How high above the bay floor a street view's ROI reaches: above any car's plate.
STREET_ROI_HEIGHT = 1.5


def _street_roi(camera: Camera, bay_w: float, bay_l: float, size: tuple[int, int]) -> np.ndarray | None:
    """A street view's ROI: the bay's space from the floor to ``STREET_ROI_HEIGHT``, as the frame shows it.

    A bay camera looks down, and a plate in its bay stands over the bay's floor in the picture. Seen from
    the street, at bumper or head height, the floor is a thin band below the car and the plate stands
    above it: an ROI of the floor alone leaves out the very plate it is drawn for (a third of the street
    views' readable plates were dropped that way). So the ROI is what an operator would draw for such a
    camera: where a car parked in the bay can show its plate."""
    faces = [project_clipped(camera, np.array([[-bay_w / 2, 0, z], [bay_w / 2, 0, z], [bay_w / 2, bay_l, z],
                                               [-bay_w / 2, bay_l, z]]), size) for z in (0.0, STREET_ROI_HEIGHT)]
    points = [f for f in faces if f is not None]
    if not points:
        return None
    return cv2.convexHull(np.concatenate(points).astype(np.float32)).reshape(-1, 2)


def project_clipped(camera: Camera, polygon: np.ndarray, size: tuple[int, int]) -> np.ndarray | None:
    """A convex world polygon's image clipped to the frame, or None if it is out of view."""
    if np.any(camera.depth(polygon) < 0.3):
        return None
    quad = camera.project(polygon)
    w, h = size
    frame = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    area, clipped = cv2.intersectConvexConvex(frame, quad)
    if area < 1 or clipped is None:
        return None
    return clipped.reshape(-1, 2).astype(np.float32)


def _inside(polygon: np.ndarray, points: np.ndarray, margin: float) -> bool:
    return all(cv2.pointPolygonTest(polygon, (float(x), float(y)), True) >= margin for x, y in points)


def _outside(polygon: np.ndarray, points: np.ndarray, margin: float) -> bool:
    return all(cv2.pointPolygonTest(polygon, (float(x), float(y)), True) <= -margin for x, y in points)


def _overlaps(points_a: np.ndarray, quad_b: np.ndarray) -> bool:
    """Whether the convex hull of ``points_a`` and the quad ``quad_b`` intersect."""
    hull = cv2.convexHull(points_a.astype(np.float32)).reshape(-1, 2)
    area, _ = cv2.intersectConvexConvex(hull, quad_b.astype(np.float32))
    return area > 0


# --------------------------------------------------------------------------
# Ground and background
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BayRow:
    """Bays side by side on the ground: their centres along x, one width and one length.

    ``always_painted`` are the bays painted as EV bays whenever the site paints
    its EV bays (the camera's own); the others are painted by chance.
    """

    centres: tuple[float, ...]
    width: float
    length: float
    always_painted: frozenset[int] = frozenset()
    margin: float = 3.0  # tarmac drawn beyond the outer bays, metres

    @property
    def far_y(self) -> float:
        """Where the wall (or hedge) behind the bays stands."""
        return self.length + 7.0


def _draw_ground(layout: _Layout, rng: np.random.Generator) -> np.ndarray:
    """Tarmac, bay lines, EV paint and car shadows, drawn top-down and warped into the frame."""
    w = layout.bay_width
    row = BayRow((-w, 0.0, w), w, layout.bay_length, frozenset({1}))
    return draw_ground(layout.camera, row, rng, [car for car in (layout.own, layout.other) if car is not None])


def draw_ground(camera: Camera, row: BayRow, rng: np.random.Generator,
                shadows_of: Sequence[Vehicle] = ()) -> np.ndarray:
    """The ground of a row of bays (tarmac, bay lines, EV paint, the kerb and the shadows of
    ``shadows_of``) drawn top-down and warped into the camera's frame (float32 RGB)."""
    x0, x1 = min(row.centres) - row.width / 2 - row.margin, max(row.centres) + row.width / 2 + row.margin
    y0, y1 = float(camera.position[1]) + 0.3, row.far_y
    r = _GROUND_RES_M
    tw, th = int((x1 - x0) / r), int((y1 - y0) / r)
    tile = _tarmac(rng, th, tw)

    def to_tile(xy: np.ndarray) -> np.ndarray:
        return ((np.asarray(xy)[:, :2] - (x0, y0)) / r * 16).astype(np.int32)

    half = row.width / 2
    green = rng.random() < 0.45
    for k, cx in enumerate(row.centres):
        if green and (k in row.always_painted or rng.random() < 0.7):
            bay = np.array([[cx - half, 0], [cx + half, 0], [cx + half, row.length], [cx - half, row.length]])
            _ground_fill(tile, [to_tile(bay)], _jitter_np((45, 120, 75), rng, 12), 0.75)
            _ground_text(tile, "EV", cx, row.length - 1.2, 0.9, x0, y0, rng)
    line = _jitter_np((225, 225, 215) if rng.random() < 0.8 else (230, 200, 60), rng, 10)
    lw = rng.uniform(0.08, 0.12)
    strokes = []
    for xl in [c - half for c in row.centres] + [row.centres[-1] + half]:
        strokes.append(to_tile(np.array([[xl - lw / 2, 0], [xl + lw / 2, 0], [xl + lw / 2, row.length],
                                         [xl - lw / 2, row.length]])))
    kerb = np.array([[x0, -0.25], [x1, -0.25], [x1, -0.1], [x0, -0.1]])
    _ground_fill(tile, [to_tile(kerb)], _jitter_np((150, 150, 145), rng, 10), 0.9)
    _ground_fill(tile, strokes, line, float(rng.uniform(0.6, 0.95)))
    for car in shadows_of:
        _ground_shadow(tile, to_tile(footprint(car)), rng)
    corners_tile = np.float32([[0, 0], [tw, 0], [tw, th], [0, th]])
    corners_img = camera.project(np.array([[x0, y0, 0], [x1, y0, 0], [x1, y1, 0], [x0, y1, 0]]))
    homography = cv2.getPerspectiveTransform(corners_tile, corners_img)
    mean = tuple(float(v) for v in tile.reshape(-1, 3).mean(axis=0))
    frame = cv2.warpPerspective(tile, homography, camera.size, flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=mean)
    return frame.astype(np.float32)


def footprint(car: Vehicle) -> np.ndarray:
    """The patch of ground a car shades (world points, 4x3)."""
    return car.world(np.array([-1, 1, 1, -1]) * (car.width / 2 + 0.1), np.array([0, 0, 1, 1]) * car.length, 0)


def _tarmac(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Asphalt (or garage concrete): grain, blotches of wear, a tint; uint8 HxWx3."""
    base = rng.uniform(55, 85) if rng.random() < 0.7 else rng.uniform(95, 125)
    tint = rng.uniform(-4, 4, 3)
    blotch = cv2.resize(rng.standard_normal((max(height // 48, 2), max(width // 48, 2))).astype(np.float32),
                        (width, height), interpolation=cv2.INTER_CUBIC)
    grey = base + 9 * noise_field(rng, height, width) + 7 * blotch
    return np.clip(as_rgb(grey) + tint.astype(np.float32), 0, 255).astype(np.uint8)


def _ground_fill(tile: np.ndarray, polygons: list[np.ndarray], colour: np.ndarray, opacity: float) -> None:
    """Paint polygons (tile pixels x16) onto the ground, letting the tarmac grain show through."""
    mask = np.zeros(tile.shape[:2], np.uint8)
    cv2.fillPoly(mask, polygons, 255, cv2.LINE_AA, shift=4)
    x, y, w, h = cv2.boundingRect(mask)
    if not (w and h):
        return
    region = tile[y : y + h, x : x + w].astype(np.float32)
    a = as_rgb(mask[y : y + h, x : x + w].astype(np.float32) * (opacity / 255))
    grain = region.mean(axis=2, keepdims=True) - region.mean()
    tile[y : y + h, x : x + w] = np.clip(region + (colour + grain - region) * a, 0, 255).astype(np.uint8)


def _ground_text(tile: np.ndarray, text: str, cx: float, cy: float, height_m: float, x0: float, y0: float,
                 rng: np.random.Generator) -> None:
    """Large painted letters on the bay floor (e.g. "EV"), readable from the aisle."""
    ink = text_ink("sans", text)
    h = int(height_m / _GROUND_RES_M)
    w = int(ink.shape[1] * h / ink.shape[0])
    mask = cv2.resize(ink, (w, h), interpolation=cv2.INTER_AREA)
    px, py = int((cx - x0) / _GROUND_RES_M) - w // 2, int((cy - y0) / _GROUND_RES_M) - h // 2
    if px < 0 or py < 0 or px + w > tile.shape[1] or py + h > tile.shape[0]:
        return
    region = tile[py : py + h, px : px + w].astype(np.float32)
    a = as_rgb(mask * float(rng.uniform(0.6, 0.9)))
    tile[py : py + h, px : px + w] = (region + (np.float32([235, 235, 230]) - region) * a).astype(np.uint8)


def _ground_shadow(tile: np.ndarray, footprint: np.ndarray, rng: np.random.Generator) -> None:
    """The soft dark patch under a car."""
    mask = np.zeros(tile.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, footprint, 255, cv2.LINE_AA, shift=4)
    x, y, w, h = cv2.boundingRect(mask)
    if not (w and h):
        return
    pad = 12
    x, y = max(x - pad, 0), max(y - pad, 0)
    w, h = min(w + 2 * pad, tile.shape[1] - x), min(h + 2 * pad, tile.shape[0] - y)
    soft = cv2.GaussianBlur(mask[y : y + h, x : x + w].astype(np.float32) * (1 / 255), (0, 0), 6)
    dark = 1 - as_rgb(soft) * float(rng.uniform(0.45, 0.7))
    tile[y : y + h, x : x + w] = (tile[y : y + h, x : x + w] * dark).astype(np.uint8)


def _draw_background(frame: np.ndarray, layout: _Layout, rng: np.random.Generator) -> None:
    draw_background(frame, layout.camera, layout.bay_length + 7.0, rng)


def draw_background(frame: np.ndarray, camera: Camera, far_y: float, rng: np.random.Generator) -> None:
    """What lies beyond the bays (at ``far_y``): a wall or hedge, and above it sky or a car-park ceiling."""
    cam = camera
    wall_h = float(rng.uniform(1.2, 3.5))
    cx = float(cam.position[0])
    outdoor = rng.random() < 0.6
    wall = _jitter_np((85, 100, 70) if outdoor and rng.random() < 0.5 else (150, 148, 140), rng, 15)
    above = _jitter_np((205, 215, 228) if outdoor else (55, 55, 58), rng, 12)
    foot = cam.project(np.array([[cx - 3, far_y, 0], [cx + 3, far_y, 0]]))
    top = cam.project(np.array([[cx - 3, far_y, wall_h], [cx + 3, far_y, wall_h]]))
    _fill_above(frame, foot, wall)
    _fill_above(frame, top, above)


def _fill_above(frame: np.ndarray, line: np.ndarray, colour: np.ndarray) -> None:
    """Fill everything above the image line through two points (a horizontal-ish edge in the world)."""
    (ua, va), (ub, vb) = line.astype(np.float64)
    w, h = frame.shape[1], frame.shape[0]
    if abs(ub - ua) < 1e-6:
        return
    slope = (vb - va) / (ub - ua)
    left, right = va - slope * ua, va + slope * (w - ua)
    if max(left, right) <= 0:
        return
    poly = np.array([[0, 0], [w, 0], [w, right], [0, left]]) * 16
    mask = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(mask, np.clip(poly, -1e6, 1e6).astype(np.int32), 255, cv2.LINE_AA, shift=4)
    _blend_mask(frame, mask, colour)


# --------------------------------------------------------------------------
# Cars
# --------------------------------------------------------------------------


def draw_body(frame: np.ndarray, camera: Camera, car: Vehicle) -> None:
    """The car's box behind its face, far parts first: roof, glass, side, bonnet, wheels."""
    w2, glass_in = car.width / 2, 0.13
    colour = np.asarray(car.colour, np.float32)
    glass = np.float32([30, 34, 40])
    b_glass = car.bonnet + (0.5 if car.rear else 0.85)
    b_roof_end = car.length - (0.9 if car.rear else 0.6)
    top = car.face_top + 0.05
    roof = [(-w2 + glass_in, b_glass, car.roof), (w2 - glass_in, b_glass, car.roof),
            (w2 - glass_in, b_roof_end, car.roof), (-w2 + glass_in, b_roof_end, car.roof)]
    parts: list[tuple[list[tuple[float, float, float]], np.ndarray]] = []
    if _car_coords(car, camera.position)[1] > car.length:  # seen from behind (a car turning in the aisle)
        parts.append(([(-w2, car.length, car.face_bottom), (w2, car.length, car.face_bottom),
                       (w2 - glass_in, car.length - 0.3, car.roof), (-w2 + glass_in, car.length - 0.3, car.roof)],
                      colour * 0.8))
    parts.append((roof, colour * 1.05))
    for a in (-w2 + 0.02, w2 - 0.02):  # tyres: only their bottoms show, below bumper and sill
        parts.append(([(a, 0.55, 0), (a, 0.55, 0.62), (a, 1.25, 0.62), (a, 1.25, 0)], np.float32([18, 18, 20])))
    cam_a = _car_coords(car, camera.position)[0]
    if abs(cam_a) > w2:  # the camera sees this flank
        side = float(np.sign(cam_a)) * w2
        inset = float(np.sign(cam_a)) * glass_in
        parts.append(([(side, car.bonnet, top), (side - inset, b_glass, car.roof),
                       (side - inset, b_roof_end, car.roof), (side, car.length - 0.3, top)], glass * 1.2))
        parts.append(([(side, 0, car.face_bottom + 0.05), (side, 0, car.face_top), (side, car.length, car.face_top),
                       (side, car.length, car.face_bottom + 0.05)], colour * 0.72))
    parts.append(([(-w2 + 0.05, car.bonnet, top), (w2 - 0.05, car.bonnet, top), (w2 - glass_in, b_glass, car.roof),
                   (-w2 + glass_in, b_glass, car.roof)], glass))
    parts.append(([(-w2, 0, car.face_top), (w2, 0, car.face_top), (w2 - 0.05, car.bonnet, top),
                   (-w2 + 0.05, car.bonnet, top)], colour * 1.12))
    for points, shade in parts:
        pts = car.world(*np.array(points).T)
        if np.all(camera.depth(pts) > 0.2):
            fill_polygon(frame, camera.project(pts), np.clip(shade, 0, 255))
    _windscreen_sheen(frame, camera, car, b_glass, top)


def _windscreen_sheen(frame: np.ndarray, camera: Camera, car: Vehicle, b_glass: float, top: float) -> None:
    """A pale reflection band across the glass, which is what makes a dark quad read as a windscreen."""
    w2 = car.width / 2 - 0.2
    f0, f1 = 0.35, 0.6
    pts = car.world(np.array([-w2, w2, w2 * 0.9, -w2 * 0.9]),
                    car.bonnet + (b_glass - car.bonnet) * np.array([f0, f0 + 0.15, f1, f1 - 0.15]),
                    top + (car.roof - top) * np.array([f0, f0 + 0.15, f1, f1 - 0.15]))
    if np.all(camera.depth(pts) > 0.2):
        fill_polygon(frame, camera.project(pts), np.float32([120, 130, 140]), opacity=0.25)


def _car_coords(car: Vehicle, point: np.ndarray) -> np.ndarray:
    c, s = np.cos(car.yaw), np.sin(car.yaw)
    d = np.asarray(point)[:2] - car.origin[:2]
    return np.array([d[0] * c + d[1] * s, -d[0] * s + d[1] * c])


def _draw_face(frame: np.ndarray, camera: Camera, car: Vehicle, spec: PlateSpec,
               rng: np.random.Generator) -> ScenePlate:
    """Texture the car's face (lights, grille, bumper, the plate) and warp it into the frame."""
    texture, plate_rect = paint_face(car, spec, face_scale(camera, car), rng)
    return place_face(frame, camera, car, spec, texture, plate_rect)


def face_scale(camera: Camera, car: Vehicle) -> float:
    """Pixels per metre for a face texture a little finer than the car's face appears in the frame."""
    corners_img = camera.project(_face_corners(car))
    px_per_m = float(np.linalg.norm(corners_img[1] - corners_img[0])) / car.width
    return float(np.clip(px_per_m * 1.25, 60, 1800))


def place_face(frame: np.ndarray, camera: Camera, car: Vehicle, spec: PlateSpec, texture: np.ndarray,
               plate_rect: tuple[int, int, int, int]) -> ScenePlate:
    """Warp a painted face texture onto the car's face in the frame; the plate as drawn."""
    corners_img = camera.project(_face_corners(car))
    h, w = texture.shape[:2]
    homography = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), corners_img)
    paste_warped(frame, texture, homography)
    x0, y0, x1, y1 = plate_rect
    plate_tex = np.float32([[[x0, y0]], [[x1, y0]], [[x1, y1]], [[x0, y1]]])
    corners = cv2.perspectiveTransform(plate_tex, homography).reshape(4, 2)
    return ScenePlate(spec.text, spec.fmt.name, spec.style, corners.astype(np.float32))


def _face_corners(car: Vehicle) -> np.ndarray:
    return car.world(np.array([-1, 1, 1, -1]) * car.width / 2, 0,
                     np.array([car.face_top, car.face_top, car.face_bottom, car.face_bottom]))


def paint_face(car: Vehicle, spec: PlateSpec, scale: float,
                rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The face texture (uint8 RGBA, ``scale`` px per metre) and the plate's rectangle in it."""
    w2 = car.width / 2
    tw, th = round(car.width * scale), round((car.face_top - car.face_bottom) * scale)
    img = np.empty((th, tw, 3), np.uint8)
    img[:] = np.clip(car.colour, 0, 255)

    def pt(a: float, z: float) -> tuple[int, int]:
        return round((a + w2) * scale * 16), round((car.face_top - z) * scale * 16)

    def poly(points: list[tuple[float, float]], colour: Sequence[float]) -> None:
        cv2.fillPoly(img, [np.array([pt(a, z) for a, z in points], np.int32)], tuple(float(c) for c in colour),
                     cv2.LINE_AA, shift=4)

    top, bottom = car.face_top, car.face_bottom
    body = np.asarray(car.colour, np.float32)
    lamp = (175, 25, 30) if car.rear else (205, 210, 215)
    for s in (-1, 1):
        poly([(s * (w2 - 0.04), top - 0.07), (s * (w2 - 0.47), top - 0.1), (s * (w2 - 0.44), top - 0.23),
              (s * (w2 - 0.07), top - 0.21)], lamp)
        poly([(s * (w2 - 0.1), top - 0.12), (s * (w2 - 0.4), top - 0.13), (s * (w2 - 0.39), top - 0.16),
              (s * (w2 - 0.11), top - 0.16)], (255, 240, 230) if car.rear else (250, 250, 255))
    if car.grille and not car.rear:
        gw = float(rng.uniform(0.25, 0.5))
        poly([(-gw, top - 0.09), (gw, top - 0.09), (gw * 0.9, top - 0.27), (-gw * 0.9, top - 0.27)], (24, 25, 28))
        for z in np.arange(top - 0.12, top - 0.26, -0.035):
            poly([(-gw * 0.95, z), (gw * 0.95, z), (gw * 0.95, z - 0.008), (-gw * 0.95, z - 0.008)], (60, 62, 66))
    cv2.ellipse(img, pt(0, top - 0.05 if car.rear else top - 0.18), (int(0.045 * scale * 16), int(0.025 * scale * 16)),
                0, 0, 360, (190, 192, 196), -1, cv2.LINE_AA, shift=4)
    crease = bottom + float(rng.uniform(0.32, 0.45))
    poly([(-w2, crease), (w2, crease), (w2, crease - 0.012), (-w2, crease - 0.012)], body * 0.7)
    poly([(-0.55, bottom + 0.16), (0.55, bottom + 0.16), (0.5, bottom + 0.04), (-0.5, bottom + 0.04)], (22, 22, 24))
    if rng.random() < 0.5:
        for s in (-1, 1):
            cv2.circle(img, pt(s * (w2 - 0.22), bottom + 0.12), max(int(0.035 * scale * 16), 16),
                       (230, 60, 50) if car.rear else (200, 205, 210), -1, cv2.LINE_AA, shift=4)

    plate_w, plate_h = spec.size_m
    x0 = round((car.plate_offset - plate_w / 2 + w2) * scale)
    y0 = round((top - car.plate_height - plate_h / 2) * scale)
    cv2.rectangle(img, (x0 - 2, y0 - 2), (x0 + int(plate_w * scale) + 2, y0 + int(plate_h * scale) + 2),
                  tuple(float(c) for c in body * 0.45), -1, cv2.LINE_AA)

    shaded = img.astype(np.float32) * as_rgb(_face_shading(th, tw, float(rng.uniform(0.1, 0.3))))
    face = render_plate_face(spec.text, spec.fmt, rng, spec.style, px_per_mm=scale / 1000)
    ph, pw = face.rgba.shape[:2]
    _paste_rgba(shaded, face.rgba, x0, y0)
    rgba = np.empty((th, tw, 4), np.uint8)
    rgba[..., :3] = np.clip(shaded, 0, 255).astype(np.uint8)
    rgba[..., 3] = _face_alpha(th, tw, max(int(0.05 * scale), 1))
    return rgba, (x0, y0, x0 + pw, y0 + ph)


@lru_cache(maxsize=32)
def _face_shading(height: int, width: int, falloff: float) -> np.ndarray:
    """Light from above and the curvature of the panel toward its sides."""
    v = np.linspace(1.1, 0.82, height, dtype=np.float32)[:, None]
    u = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    return v * (1 - falloff * u**6)


@lru_cache(maxsize=32)
def _face_alpha(height: int, width: int, radius: int) -> np.ndarray:
    mask = np.zeros((height + radius, width), np.uint8)
    radius = min(radius, width // 2)
    cv2.rectangle(mask, (radius, 0), (width - 1 - radius, height + radius), 255, -1)
    cv2.rectangle(mask, (0, radius), (width - 1, height + radius), 255, -1)
    for cx in (radius, width - 1 - radius):
        cv2.circle(mask, (cx, radius), radius, 255, -1, cv2.LINE_AA)
    return mask[:height]


def _paste_rgba(dst: np.ndarray, rgba: np.ndarray, x: int, y: int) -> None:
    """Alpha-blend an RGBA patch into a float image at (x, y), clipped."""
    h, w = rgba.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, dst.shape[1]), min(y + h, dst.shape[0])
    if x0 >= x1 or y0 >= y1:
        return
    patch = rgba[y0 - y : y1 - y, x0 - x : x1 - x]
    a = as_rgb(patch[..., 3].astype(np.float32) * (1 / 255))
    region = dst[y0:y1, x0:x1]
    region += (patch[..., :3].astype(np.float32) - region) * a


def _draw_box(frame: np.ndarray, camera: Camera, corners: np.ndarray, colour: Colour) -> None:
    """A box (the charging post): its faces toward the camera, shaded, with a dark screen."""
    base = np.asarray(colour, np.float32)
    faces = {"front": [0, 1, 5, 4], "left": [3, 0, 4, 7], "right": [1, 2, 6, 5], "top": [4, 5, 6, 7]}
    shades = {"front": 0.85, "left": 0.65, "right": 0.65, "top": 1.05}
    centre = corners.mean(axis=0)
    for name, idx in faces.items():
        quad = corners[idx]
        normal = quad.mean(axis=0) - centre
        if np.dot(normal, camera.position - quad.mean(axis=0)) > 0:
            fill_polygon(frame, camera.project(quad), base * shades[name])
    front = corners[[0, 1, 5, 4]]
    screen = front[0] + np.array([[0.2, 0, 0.55], [0.8, 0, 0.55], [0.8, 0, 0.75], [0.2, 0, 0.75]]) * (
        front[2] - front[0])
    fill_polygon(frame, camera.project(screen), np.float32([25, 35, 45]))


# --------------------------------------------------------------------------
# Drawing helpers
# --------------------------------------------------------------------------


def fill_polygon(frame: np.ndarray, points: np.ndarray, colour: np.ndarray, opacity: float = 1.0) -> None:
    """Anti-aliased polygon fill in a float frame, touching only its bounding box."""
    h, w = frame.shape[:2]
    x0, y0 = np.maximum(np.floor(points.min(axis=0)).astype(int), 0)
    x1 = min(int(np.ceil(points[:, 0].max())) + 1, w)
    y1 = min(int(np.ceil(points[:, 1].max())) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [((points - (x0, y0)) * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    region = frame[y0:y1, x0:x1]
    a = as_rgb(mask.astype(np.float32) * (opacity / 255))
    region += (np.asarray(colour, np.float32) - region) * a


def _blend_mask(frame: np.ndarray, mask: np.ndarray, colour: np.ndarray) -> None:
    x, y, w, h = cv2.boundingRect(mask)
    if not (w and h):
        return
    region = frame[y : y + h, x : x + w]
    a = as_rgb(mask[y : y + h, x : x + w].astype(np.float32) * (1 / 255))
    region += (np.asarray(colour, np.float32) - region) * a


def _jitter_np(colour: Colour, rng: np.random.Generator, amount: float) -> np.ndarray:
    return np.clip(np.asarray(colour, np.float32) + rng.uniform(-amount, amount, 3).astype(np.float32), 0, 255)


def _camera_look(frame: np.ndarray, rng: np.random.Generator) -> None:
    """Exposure, white balance, lens vignetting and softness of a surveillance camera (in place)."""
    gains = rng.uniform(0.94, 1.06, 3) * rng.uniform(0.85, 1.15)
    cv2.multiply(frame, (*gains.tolist(), 1.0), dst=frame)
    cv2.multiply(frame, vignette(frame.shape[0], frame.shape[1]), dst=frame)
    cv2.GaussianBlur(frame, (0, 0), float(rng.uniform(0.4, 0.8)), dst=frame)
    frame += as_rgb(noise_field(rng, frame.shape[0], frame.shape[1]) * 1.5)


@lru_cache(maxsize=4)
def vignette(height: int, width: int) -> np.ndarray:
    y, x = np.ogrid[-1 : 1 : height * 1j, -1 : 1 : width * 1j]
    v = (1 - 0.25 * (x**2 + y**2) / 2).astype(np.float32)
    out = as_rgb(v)
    out.flags.writeable = False
    return out
