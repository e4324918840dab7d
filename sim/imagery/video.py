"""A fixed bay camera filmed over a scripted timeline: the video a live site's reader would get.

One camera on a pole across the aisle looks at the front of two or three bays
side by side (and, if the script says so, part of the neighbour bay beyond
them). Cars reverse in over a few seconds along the aisle and into their
bay, so the plate changes size and perspective and is smeared by motion;
they then stand still, with only the sensor's noise changing from frame to
frame (which motion gating must ignore), and drive out the way they came.

The scene is the one ``scenes`` draws for a single frame (same ground, cars,
faces and plates), set up once: the ground and background are rendered once,
each parked car once, and only a moving car is drawn again in each frame,
into a small canvas of its own that is then laid over the frame. The sidecar
written next to the video gives each bay's region of interest in pixels, the
timeline and the frame rate, so a test can describe the camera in a live
site file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import yaml

from baytwin.sim.imagery.degrade import dirt
from baytwin.sim.imagery.plates import as_format, as_rgb, noise_field, styles_for
from baytwin.sim.imagery.scenes import (
    BayRow,
    Camera,
    PlateSpec,
    ScenePlate,
    Vehicle,
    draw_background,
    draw_body,
    draw_ground,
    face_scale,
    footprint,
    paint_face,
    place_face,
    project_clipped,
    random_vehicle,
    rotation,
    vignette,
)
from baytwin.sim.imagery.video_script import NEIGHBOUR, VideoScript, Visit

VIDEO_NAME = "bay-camera.mp4"
SIDECAR_NAME = "bay-camera.yaml"
SHUTTER_S = 1 / 50  # exposure of one frame: how far a moving car smears
NOISE_SIGMA = 1.8  # sensor noise, grey levels


@dataclass(frozen=True, slots=True)
class CarInView:
    """One car in one frame: the visit, its plate as drawn, and what it is doing."""

    visit: Visit
    plate: ScenePlate | None  # None when the plate faces away from the camera
    state: str  # arriving | parked | leaving


@dataclass(frozen=True, slots=True)
class _Layer:
    """A car drawn on its own, ready to lay over a frame: colour premultiplied by coverage."""

    x0: int
    y0: int
    premultiplied: np.ndarray  # float32 hxwx3
    transparency: np.ndarray  # float32 hxwx3, 1 - coverage
    plate: ScenePlate | None


@dataclass(slots=True)
class _Car:
    visit: Visit
    spec: PlateSpec
    parked: Vehicle
    bay_x: float
    side_in: int  # the aisle side it comes from (-1 left, +1 right)
    side_out: int
    texture: np.ndarray | None = None
    plate_rect: tuple[int, int, int, int] = (0, 0, 0, 0)
    parked_layer: _Layer | None = None


class BayCameraVideo:
    """The scene of one script: ``frame(t)`` draws the picture at video time ``t`` seconds."""

    def __init__(self, script: VideoScript, size: tuple[int, int] = (1280, 720), seed: int = 0) -> None:
        self.script, self.size = script, (int(size[0]), int(size[1]))
        rng = np.random.default_rng([seed, 0])
        self.bay_width, self.bay_length = float(rng.uniform(2.45, 2.7)), float(rng.uniform(4.8, 5.4))
        n = len(script.bays)
        self.centres = {bay: (k - (n - 1) / 2) * self.bay_width for k, bay in enumerate(script.bays)}
        side = {"left": -1, "right": 1}.get(script.neighbour or "", 0)
        edge = self.centres[script.bays[-1 if side > 0 else 0]]
        self.neighbour_x = edge + side * self.bay_width if side else None
        self.camera = self._place_camera(rng, side)
        self.rois = {bay: self._bay_floor(x) for bay, x in self.centres.items()}
        self.neighbour_roi = self._bay_floor(self.neighbour_x) if self.neighbour_x is not None else None
        self._look = self._camera_look(rng)
        self._background = self._draw_background(rng)
        self._cars = [self._car(np.random.default_rng([seed, 1, i]), visit) for i, visit in enumerate(script.visits)]
        self._noise_rng = np.random.default_rng([seed, 2])

    # --- the picture ------------------------------------------------------------------------------

    def frame(self, t: float) -> tuple[np.ndarray, list[CarInView]]:
        """The RGB uint8 frame at video time ``t`` and the cars in it (far ones first)."""
        frame = self._background.copy()
        layers: list[tuple[float, _Layer, CarInView]] = []
        for car in self._cars:
            pose = self._pose(car, t)
            if pose is None:
                continue
            vehicle, state, velocity = pose
            layer = self._parked_layer(car) if state == "parked" else self._layer(car, vehicle, velocity)
            if layer is None:
                continue
            depth = float(self.camera.depth(vehicle.origin)[0])
            layers.append((depth, layer, CarInView(car.visit, layer.plate, state)))
        layers.sort(key=lambda item: -item[0])
        for _, layer, _ in layers:
            h, w = layer.transparency.shape[:2]
            region = frame[layer.y0 : layer.y0 + h, layer.x0 : layer.x0 + w]
            cv2.multiply(region, layer.transparency, dst=region)
            cv2.add(region, layer.premultiplied, dst=region)
        noise = noise_field(self._noise_rng, self.size[1], self.size[0])
        cv2.scaleAdd(as_rgb(noise), NOISE_SIGMA, frame, dst=frame)
        np.clip(frame, 0, 255, out=frame)
        return frame.astype(np.uint8), [view for _, _, view in layers]

    def frames(self, fps: float) -> Iterator[tuple[float, np.ndarray, list[CarInView]]]:
        """Every frame of the script at ``fps``: (time, image, cars)."""
        for index in range(self.frame_count(fps)):
            t = index / fps
            image, cars = self.frame(t)
            yield t, image, cars

    def frame_count(self, fps: float) -> int:
        return max(1, round(self.script.length_s * fps))

    # --- the camera and the ground -------------------------------------------------------------

    def _place_camera(self, rng: np.random.Generator, side: int) -> Camera:
        """On a pole across the aisle, lens chosen so the watched bays' fronts (and the neighbour's
        plate, when there is one) just fill the frame."""
        width, height = self.size
        xs = sorted(self.centres.values())
        position = np.array([(xs[0] + xs[-1]) / 2 + side * 0.3 * self.bay_width + rng.uniform(-0.2, 0.2),
                             -rng.uniform(6.0, 7.0), rng.uniform(2.9, 3.4)])
        left, right = xs[0] - self.bay_width / 2, xs[-1] + self.bay_width / 2
        if self.neighbour_x is not None:
            left, right = min(left, self.neighbour_x - 0.5), max(right, self.neighbour_x + 0.5)
        # the front of the bays at bumper height must be in view, left to right
        must_see = np.array([[x, y, z] for x in (left, right) for y in (0.3, 1.0) for z in (0.2, 0.9)])
        angles = np.arctan2(must_see[:, 0] - position[0], must_see[:, 1] - position[1])
        yaw = float(angles.min() + angles.max()) / 2
        aim = np.array([position[0] + np.tan(yaw) * (2.2 - position[1]), 2.2, 0.0])
        forward = aim - position
        pitch = float(np.arctan2(-forward[2], np.hypot(forward[0], forward[1])))
        roll = float(np.deg2rad(rng.normal(0, 0.8)))
        camera = Camera(position, rotation(yaw, pitch, roll), 1.0, (width, height))
        cam = (must_see - position) @ camera.rotation.T
        spread = np.abs(cam[:, 0] / cam[:, 2]).max()
        return dataclasses.replace(camera, focal=float(0.47 * width / spread))

    def _bay_floor(self, x: float) -> np.ndarray:
        half = self.bay_width / 2
        floor = np.array([[x - half, 0, 0], [x + half, 0, 0], [x + half, self.bay_length, 0],
                          [x - half, self.bay_length, 0]])
        roi = project_clipped(self.camera, floor, self.size)
        if roi is None:
            raise RuntimeError(f"bay at x={x:.1f} m is out of the camera's view")
        return roi

    def _camera_look(self, rng: np.random.Generator) -> np.ndarray:
        """Exposure and white balance times lens vignetting: one multiplier per pixel, fixed for the video."""
        gains = rng.uniform(0.95, 1.05, 3) * rng.uniform(0.9, 1.1)
        look = vignette(self.size[1], self.size[0]).copy()
        cv2.multiply(look, (*gains.tolist(), 1.0), dst=look)
        return look

    def _draw_background(self, rng: np.random.Generator) -> np.ndarray:
        xs = sorted(self.centres.values())
        centres = (xs[0] - self.bay_width, *xs, xs[-1] + self.bay_width)
        row = BayRow(tuple(centres), self.bay_width, self.bay_length,
                     frozenset(range(1, len(xs) + 1)), margin=8.0)
        frame = draw_ground(self.camera, row, rng)
        draw_background(frame, self.camera, row.far_y, rng)
        cv2.multiply(frame, self._look, dst=frame)
        cv2.GaussianBlur(frame, (0, 0), 0.6, dst=frame)
        return frame

    # --- cars -------------------------------------------------------------------------------------

    def _car(self, rng: np.random.Generator, visit: Visit) -> _Car:
        fmt = as_format(visit.format)
        styles = styles_for(fmt)
        front = [s for s in styles if s.endswith("front")]  # reversed in: the camera sees the front
        spec = PlateSpec.draw(fmt, rng, visit.plate, front[0] if front else None)
        bay_x = self.neighbour_x if visit.bay == NEIGHBOUR else self.centres[visit.bay]
        assert bay_x is not None
        parked = random_vehicle(rng, bay_x, self.bay_width, spec)
        parked = _clear_of_grille(dataclasses.replace(
            parked, origin=np.array([parked.origin[0], rng.uniform(0.25, 0.6), 0.0])), spec)
        away = 1 if bay_x >= float(self.camera.position[0]) else -1  # come from the outer side of the aisle
        car = _Car(visit, spec, parked, bay_x, away if rng.random() < 0.7 else -away,
                   away if rng.random() < 0.7 else -away)
        scale = face_scale(self.camera, parked) * 1.3  # a little finer: the car is nearer while it drives in
        car.texture, car.plate_rect = paint_face(parked, spec, scale, rng)
        if visit.plate_dirt:  # mud on the plate itself: it moves, blurs and shrinks with the car
            x0, y0, x1, y1 = car.plate_rect
            plate = np.float32([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]])
            colour = np.ascontiguousarray(car.texture[..., :3])
            car.texture[..., :3] = dirt(colour, visit.plate_dirt, rng, plate)
        return car

    def _pose(self, car: _Car, t: float) -> tuple[Vehicle, str, np.ndarray] | None:
        """Where the car is at ``t``, what it is doing, and its velocity (m/s, world x and y)."""
        v = car.visit
        if t < v.arrive_s or t >= v.leave_s:
            return None
        if v.parked_s <= t < v.leaving_s:
            return car.parked, "parked", np.zeros(2)
        if t < v.parked_s:
            tau, side, state = (t - v.arrive_s) / v.drive_s, car.side_in, "arriving"
        else:
            tau, side, state = (v.leave_s - t) / v.drive_s, car.side_out, "leaving"
        s, ds = _ease(tau)
        point, tangent = _path(car, side, s)
        yaw = float(np.arctan2(-tangent[0], tangent[1]))
        yaw = yaw + (car.parked.yaw - yaw) * s**3
        speed = tangent * ds / v.drive_s * (1 if state == "arriving" else -1)
        return dataclasses.replace(car.parked, origin=np.array([point[0], point[1], 0.0]), yaw=yaw), state, speed

    def _parked_layer(self, car: _Car) -> _Layer | None:
        if car.parked_layer is None:
            car.parked_layer = self._layer(car, car.parked, np.zeros(2))
        return car.parked_layer

    def _layer(self, car: _Car, vehicle: Vehicle, velocity: np.ndarray) -> _Layer | None:
        """The car (with its shadow) drawn alone over black and over white, which gives its colour and
        coverage; then the camera's look and the smear of its motion during the exposure."""
        points = np.vstack([vehicle.outline(), footprint(vehicle)])
        points = points[self.camera.depth(points) > 0.3]
        if len(points) == 0:
            return None
        width, height = self.size
        shift = np.append(velocity * SHUTTER_S, 0.0)
        smear = self.camera.project(vehicle.origin + shift)[0] - self.camera.project(vehicle.origin)[0]
        pad = int(np.ceil(np.abs(smear).max())) + 8
        image = self.camera.project(points)
        x0, y0 = np.maximum(np.floor(image.min(axis=0)).astype(int) - pad, 0)
        x1 = min(int(np.ceil(image[:, 0].max())) + pad, width)
        y1 = min(int(np.ceil(image[:, 1].max())) + pad, height)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return None
        view = self.camera.window(int(x0), int(y0), int(x1 - x0), int(y1 - y0))
        plate: ScenePlate | None = None
        canvases = []
        for ground in (0.0, 255.0):
            canvas = np.full((y1 - y0, x1 - x0, 3), ground, np.float32)
            _shadow(canvas, view, vehicle)
            draw_body(canvas, view, vehicle)
            if _faces(vehicle, self.camera) and car.texture is not None:
                drawn = place_face(canvas, view, vehicle, car.spec, car.texture, car.plate_rect)
                plate = dataclasses.replace(drawn, corners=drawn.corners + np.float32([x0, y0]))
            canvases.append(canvas)
        black, white = canvases
        transparency = (white - black) * (1 / 255)
        look = self._look[y0:y1, x0:x1]
        cv2.multiply(black, look, dst=black)
        kernel = _motion_kernel(float(smear[0]), float(smear[1]))
        if kernel is not None:
            black = cv2.filter2D(black, -1, kernel, borderType=cv2.BORDER_CONSTANT)
            transparency = 1 - cv2.filter2D(1 - transparency, -1, kernel, borderType=cv2.BORDER_CONSTANT)
        cv2.GaussianBlur(black, (0, 0), 0.6, dst=black)
        cv2.GaussianBlur(transparency, (0, 0), 0.6, dst=transparency)
        return _Layer(int(x0), int(y0), black, transparency, plate)

    # --- ground truth -----------------------------------------------------------------------------

    def sidecar(self, fps: float, video_name: str = VIDEO_NAME, seed: int = 0) -> dict[str, object]:
        """What a test needs to describe this camera in a live site file and to score what it reads."""
        parked_plates = {id(car): self._parked_layer(car) for car in self._cars}

        def polygon(points: np.ndarray) -> list[list[float]]:
            return [[round(float(x), 1), round(float(y), 1)] for x, y in points]

        visits = []
        for car in self._cars:
            layer = parked_plates[id(car)]
            v = car.visit
            visits.append({
                "bay": v.bay, "plate": v.text, "format": v.format, "note": v.note,
                "arrive_s": v.arrive_s, "parked_s": v.parked_s, "leaving_s": v.leaving_s, "leave_s": v.leave_s,
                "parked_plate_corners": polygon(layer.plate.corners) if layer and layer.plate else None,
            })
        return {
            "video": video_name,
            "fps": float(fps),
            "frames": self.frame_count(fps),
            "duration_s": self.frame_count(fps) / fps,
            "size": list(self.size),
            "seed": seed,
            "bays": {bay: polygon(roi) for bay, roi in self.rois.items()},
            "neighbour": None if self.neighbour_roi is None else {
                "side": self.script.neighbour, "roi": polygon(self.neighbour_roi)},
            "visits": visits,
        }


def render_video(script: VideoScript, out_dir: Path, *, fps: float = 5.0, size: tuple[int, int] = (1280, 720),
                 seed: int = 0, progress: Callable[[int, int], None] | None = None) -> tuple[Path, Path]:
    """Write ``out_dir/bay-camera.mp4`` and its sidecar ``bay-camera.yaml``; return both paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    scene = BayCameraVideo(script, size, seed)
    video, sidecar = out_dir / VIDEO_NAME, out_dir / SIDECAR_NAME
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), scene.size)
    if not writer.isOpened():
        raise RuntimeError(f"cannot write {video}: this OpenCV build has no mp4v encoder")
    total = scene.frame_count(fps)
    try:
        for index, (_, image, _) in enumerate(scene.frames(fps), start=1):
            writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            if progress is not None:
                progress(index, total)
    finally:
        writer.release()
    sidecar.write_text(yaml.safe_dump(scene.sidecar(fps, VIDEO_NAME, seed), sort_keys=False, default_flow_style=None), encoding="utf-8")
    return video, sidecar


def read_video(path: Path) -> Iterator[np.ndarray]:
    """The frames of a video file, decoded, in order (RGB, as the renderer and the reader use them)."""
    capture = cv2.VideoCapture(str(path))
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                return
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


# --------------------------------------------------------------------------
# Driving in and out
# --------------------------------------------------------------------------


def _ease(tau: float) -> tuple[float, float]:
    """Smoothstep: progress along the path at time fraction ``tau`` and its rate (starts and stops gently)."""
    tau = min(max(tau, 0.0), 1.0)
    return tau * tau * (3 - 2 * tau), 6 * tau * (1 - tau)


def _path(car: _Car, side: int, s: float) -> tuple[np.ndarray, np.ndarray]:
    """Point and tangent (d/ds) at ``s`` of the way from the aisle, on ``side`` of the bay, into the
    parking spot: along the aisle, then straight back into the bay (a cubic Bezier)."""
    end = car.parked.origin[:2]
    aisle_y = end[1] - 3.4
    p = np.array([[car.bay_x + side * 7.5, aisle_y], [car.bay_x + side * 1.5, aisle_y],
                  [end[0], end[1] - 2.0], end])
    u = 1 - s
    point = u**3 * p[0] + 3 * u * u * s * p[1] + 3 * u * s * s * p[2] + s**3 * p[3]
    tangent = 3 * u * u * (p[1] - p[0]) + 6 * u * s * (p[2] - p[1]) + 3 * s * s * (p[3] - p[2])
    return point, tangent


def _clear_of_grille(car: Vehicle, spec: PlateSpec) -> Vehicle:
    """A front plate mounted on the bumper below the grille, not against it, as real cars have it.

    A plate touching the grille's slats reads, from a pole a few bays wide,
    as one block of edges; the car is given a plate height clear of the
    grille, or no grille where its face is too short for both.
    """
    if car.rear or not car.grille:
        return car
    half = spec.size_m[1] / 2
    highest = car.face_top - 0.27 - 0.07 - half  # grille bottom, a gap, half a plate
    lowest = car.face_bottom + 0.16 + 0.05 + half  # above the bumper's dark intake
    if car.plate_height <= highest:
        return car
    if lowest <= highest:
        return dataclasses.replace(car, plate_height=highest)
    return dataclasses.replace(car, grille=False)


def _faces(car: Vehicle, camera: Camera) -> bool:
    """Whether the car's face (the side with the plate) is turned toward the camera."""
    normal = np.array([np.sin(car.yaw), -np.cos(car.yaw), 0.0])
    return bool(np.dot(normal, camera.position - car.origin) > 0 and np.all(camera.depth(
        car.world(np.array([-1, 1]) * car.width / 2, 0, car.face_top)) > 0.3))


def _shadow(canvas: np.ndarray, camera: Camera, car: Vehicle) -> None:
    """The soft dark patch on the ground under the car."""
    ground = footprint(car)
    if np.any(camera.depth(ground) < 0.3):
        return
    mask = np.zeros(canvas.shape[:2], np.float32)
    cv2.fillConvexPoly(mask, (camera.project(ground) * 16).astype(np.int32), 1.0, cv2.LINE_AA, shift=4)
    soft = cv2.GaussianBlur(mask, (0, 0), max(2.0, 0.004 * camera.focal))
    cv2.multiply(canvas, as_rgb(1 - 0.55 * soft), dst=canvas)


def _motion_kernel(dx: float, dy: float) -> np.ndarray | None:
    """A line kernel that smears by (dx, dy) pixels, or None when the smear is under a pixel."""
    length = float(np.hypot(dx, dy))
    if length < 1.0:
        return None
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    c = size / 2
    ux, uy = dx / length * length / 2, dy / length * length / 2
    cv2.line(kernel, (int((c - ux) * 16), int((c - uy) * 16)), (int((c + ux) * 16), int((c + uy) * 16)), 1.0, 1,
             cv2.LINE_AA, shift=4)
    return kernel / max(float(kernel.sum()), 1e-6)
