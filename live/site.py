"""A real site, described once: bays and their camera ROIs, chargers, policy, registered vehicles, store.

Switching a site from the twin to live is this file, not another program:
the ``policy`` is the same policy file the twin ran, the ``csms`` section is
the central system's (docs/csms.md), and the cameras say where each bay is in
which picture. Paths are relative to the site file. Every problem is one
``file: field: problem`` line.

Registered vehicles (fleet, residents, permit holders) come from a CSV with
the columns ``plate, group, permit, accessible, id_tokens`` (tokens separated
by ``;``); only ``plate`` and ``group`` are required.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, field_validator, model_validator

from baytwin.core.csv_rows import read_csv_rows
from baytwin.core.config import ConfigError, Name, TimeZoneName, load_yaml, no_control_characters, validate
from baytwin.core.csms.config import CsmsConfig
from baytwin.core.csms.identity import MAX_LENGTH, valid_station_id
from baytwin.core.plates import sanitize
from baytwin.core.registry import RegisteredVehicle, Registry
from baytwin.core.parking.loading import load_policy_with_parking
from baytwin.core.parking.policy import Parking
from baytwin.core.rules.policy import Policy
from baytwin.live.barrier_spec import BarriersSpec
from baytwin.live.sensor_spec import MIN_TOKEN_LENGTH, SensorsSpec, url_problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteIdentity(_Strict):
    id: Name = Field(min_length=1)  # shown on every status line: no escape codes
    timezone: TimeZoneName = "UTC"


class CameraSpec(_Strict):
    source: str | int  # rtsp://…, http://… (MJPEG), a USB index, or a video file (relative to the site file)
    sample_fps: float = Field(5.0, gt=0, le=60)  # frames a second looked at for motion
    frames_per_vehicle: int = Field(3, ge=1, le=10)  # frames read and voted per arrival
    # bay -> ROI polygon in this camera's pixels; NaN or infinity would make every point test false (or true)
    bays: dict[Name, list[tuple[FiniteFloat, FiniteFloat]]] = Field(min_length=1)

    @field_validator("bays")
    @classmethod
    def _polygons(cls, bays: dict[str, list[tuple[float, float]]]) -> dict[str, list[tuple[float, float]]]:
        for bay, polygon in bays.items():
            if len(polygon) < 3:
                raise ValueError(f"the ROI of bay '{bay}' needs at least 3 points, got {len(polygon)}")
            from baytwin.core.ocr.roi import MAX_COORDINATE

            if any(abs(c) > MAX_COORDINATE for point in polygon for c in point):
                raise ValueError(f"the ROI of bay '{bay}' has a point beyond ±{MAX_COORDINATE:,.0f} px")
        return bays


class StoreSpec(_Strict):
    url: str | None = None  # default: BAYTWIN_DB_URL, else sqlite:///baytwin.db
    key_file: str | None = None  # default: BAYTWIN_KEY / BAYTWIN_KEY_FILE
    checkpoints: str | None = Field(None, min_length=1)  # folder (outside the database) for signed checkpoints
    checkpoint_every_s: float = Field(3600.0, ge=1.0)
    signing_key: str | None = Field(None, min_length=1)  # default: beside key_file


class GateSpec(_Strict):
    accept_at: float = Field(0.90, ge=0, le=1)
    review_from: float = Field(0.50, ge=0, le=1)


class OccupancySpec(_Strict):
    arrive_samples: int = Field(2, ge=1, le=50)  # consecutive samples with a plate before a car has arrived
    leave_after_s: float = Field(30.0, gt=0)  # unseen this long (and no current flowing): the car has left


class OcrSpec(_Strict):
    """The site's own plate recognizer (ONNX and its fast-plate-ocr style YAML), instead of the bundled one,
    its own plate detector (ONNX, YOLO-style output; ``classical`` for the fast classical one) instead of the
    bundled learned one, and the plate formats its cars carry, if the site knows them."""

    model: str | None = Field(None, min_length=1)
    config_file: str | None = Field(None, alias="model_config", min_length=1)  # default: the model's .yaml
    detector: str | None = Field(None, min_length=1)  # its .yaml beside it (input size, threshold), if any
    # Declared formats (core/plate_formats.yaml names): reads are fitted to them, and a fitted read goes to review.
    formats: list[str] | None = Field(None, min_length=1)

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, value: list[str] | None) -> list[str] | None:
        from baytwin.core.plates import load_formats

        known = load_formats()
        for name in value or []:
            if name not in known:
                raise ValueError(f"unknown plate format {name!r} (known: {', '.join(known)})")
        return value


class ListenSpec(_Strict):
    host: str = "127.0.0.1"  # where chargers connect; 0.0.0.0 to accept them from the site network
    port: int = Field(9000, ge=0, le=65535)


class LiveSite(_Strict):
    site: SiteIdentity
    policy: str  # the policy file, the same the twin runs
    cameras: dict[Name, CameraSpec] = Field(default_factory=dict)
    csms: dict[str, Any] = Field(default_factory=dict)
    vehicles: str | None = None  # registered vehicles CSV
    store: StoreSpec = StoreSpec()
    gate: GateSpec = GateSpec()
    occupancy: OccupancySpec = OccupancySpec()
    listen: ListenSpec = ListenSpec()
    ocr: OcrSpec | None = None
    sensors: SensorsSpec | None = None  # occupancy sensors over MQTT or a webhook (live/sensor_spec.py)
    barriers: BarriersSpec | None = None  # entry/exit barriers and pay terminals (live/barrier_spec.py)

    @model_validator(mode="after")
    def _one_camera_per_bay(self) -> LiveSite:
        seen: dict[str, str] = {}
        for camera, spec in self.cameras.items():
            for bay in spec.bays:
                if bay in seen:
                    raise ValueError(f"@cameras.{camera}.bays.{bay}@ bay '{bay}' is already watched by camera '{seen[bay]}'")
                seen[bay] = camera
        return self


class Site:
    """A loaded, checked site: the parsed file plus what it points to (policy, CSMS config, registry)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.spec = validate(LiveSite, load_yaml(path), str(path))
        policy_file = self.resolve(self.spec.policy)
        self.policy: Policy
        self.parking: Parking | None  # the policy file's parking section: what the barriers charge
        self.policy, self.parking = load_policy_with_parking(policy_file)
        self.csms = validate(CsmsConfig, {"site_id": self.spec.site.id, **self.spec.csms}, f"{path} (csms)")
        self._check_station_ids()
        self._check_leave_timeout()
        self.registry = load_vehicles(self.resolve(self.spec.vehicles)) if self.spec.vehicles else Registry()
        self.recognizer_files = self._recognizer_files()
        self.detector_file = self._detector_file()
        self._check_sensors()
        self._check_barriers(policy_file)

    @property
    def id(self) -> str:
        return self.spec.site.id

    def _check_station_ids(self) -> None:
        """A station the central system could never accept (its id cannot be a URL path segment under OCPP's
        rules) is a mistake in the file, reported now rather than as a charger that never connects."""
        for station in self.csms.stations:
            if not valid_station_id(station):
                raise ConfigError(self.path, f"csms.stations.{station}",
                                  f"not a valid charge point id (1-{MAX_LENGTH} of A-Z a-z 0-9 * - _ = + | @ ., "
                                  "no '..'; as the charger puts it in its URL)")

    def _check_leave_timeout(self) -> None:
        """A car is known to have left only ``leave_after_s`` after it was last seen. If a rule's window (the
        arrival allowance, the overstay grace) is shorter, a driver who left in time can be found in breach
        before the departure is known: a fine for someone who did nothing wrong. Refused at load."""
        leave = self.spec.occupancy.leave_after_s
        rules = self.policy.rules
        windows = {"not_charging.arrival_allowance_min": rules.not_charging.arrival_allowance_min
                   if rules.not_charging.enabled else None,
                   "overstay.grace_min": rules.overstay.grace_min if rules.overstay.enabled else None}
        for name, minutes in windows.items():
            if minutes is not None and minutes * 60.0 <= leave:
                raise ConfigError(self.path, "occupancy.leave_after_s",
                                  f"{leave:g} s is not shorter than the policy's {name} ({minutes:g} min): a driver "
                                  "who left in time could be found in breach before the departure is known")

    def _check_sensors(self) -> None:
        """What the schema cannot say without repeating a secret or touching the disk: the broker's URL is usable
        (it may hold a password), the webhook's token is long enough to resist guessing, the broker's CA file exists."""
        sensors = self.spec.sensors
        if sensors is None:
            return
        if sensors.webhook is not None and len(sensors.webhook.token.get_secret_value()) < MIN_TOKEN_LENGTH:
            raise ConfigError(self.path, "sensors.webhook.token",
                              f"too short to resist guessing: use at least {MIN_TOKEN_LENGTH} random characters")
        problem = url_problem(sensors.mqtt.url) if sensors.mqtt is not None else None
        if problem is not None:
            raise ConfigError(self.path, "sensors.mqtt.url", problem)
        if sensors.mqtt is not None and sensors.mqtt.ca_file and not self.resolve(sensors.mqtt.ca_file).is_file():
            raise ConfigError(self.path, "sensors.mqtt.ca_file", f"file {self.resolve(sensors.mqtt.ca_file)} does not exist")

    def _check_barriers(self, policy_file: Path) -> None:
        """Barriers charge by the policy's parking section, and their webhook's token must resist guessing."""
        barriers = self.spec.barriers
        if barriers is None:
            return
        if len(barriers.webhook.token.get_secret_value()) < MIN_TOKEN_LENGTH:
            raise ConfigError(self.path, "barriers.webhook.token",
                              f"too short to resist guessing: use at least {MIN_TOKEN_LENGTH} random characters")
        if self.parking is None:
            raise ConfigError(self.path, "barriers", f"the policy file {policy_file} has no parking section "
                                                     "(the tariff the barriers charge)")

    def resolve(self, relative: str) -> Path:
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.path.parent / candidate

    def _recognizer_files(self) -> tuple[Path, Path] | None:
        """The ``ocr`` section's model and config, checked now: a missing file is a set-up error, found at load
        rather than when the first car arrives."""
        ocr = self.spec.ocr
        if ocr is None or ocr.model is None:
            if ocr is not None and ocr.config_file is not None:
                raise ConfigError(self.path, "ocr.model_config", "given without ocr.model")
            return None
        model = self.resolve(ocr.model)
        if not model.is_file():
            raise ConfigError(self.path, "ocr.model", f"file {model} does not exist")
        if ocr.config_file is not None:
            config = self.resolve(ocr.config_file)
            if not config.is_file():
                raise ConfigError(self.path, "ocr.model_config", f"file {config} does not exist")
        else:
            config = model.with_suffix(".yaml")
            if not config.is_file():
                raise ConfigError(self.path, "ocr.model_config", f"the model's config {config} does not exist "
                                                                  "(name it with ocr.model_config)")
        from baytwin.core.ocr.model_config import load_model_config

        load_model_config(config)  # a broken config names its own file and field
        return model, config

    def _detector_file(self) -> Path | None:
        """The ``ocr`` section's detector, checked now like the recognizer: the file, and its config if it has one."""
        from baytwin.core.ocr.detector import CLASSICAL

        ocr = self.spec.ocr
        if ocr is None or ocr.detector is None or ocr.detector == CLASSICAL:
            return None
        detector = self.resolve(ocr.detector)
        if not detector.is_file():
            raise ConfigError(self.path, "ocr.detector", f"file {detector} does not exist")
        from baytwin.core.ocr.detector import DetectorProblem, load_detector_config

        try:
            load_detector_config(detector)
        except DetectorProblem as err:
            raise ConfigError(self.path, "ocr.detector", str(err)) from None
        return detector

    def store_url(self) -> str | None:
        """The store's URL, with a relative SQLite file taken relative to the site file like every other path."""
        url = self.spec.store.url
        prefix = "sqlite:///"
        if url and url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(url[len(prefix):]))
        return url

    def camera_source(self, name: str) -> str | int:
        """A camera's source as OpenCV should open it: files resolved against the site file."""
        source = self.spec.cameras[name].source
        if isinstance(source, int) or source.isdigit() or "://" in source:
            return source
        return str(self.resolve(source))

    def bays(self) -> list[str]:
        """Every bay the site knows, from its cameras and its chargers."""
        found = {bay for spec in self.spec.cameras.values() for bay in spec.bays}
        found |= {bay for station in self.csms.stations.values() for bay in station.evses.values()}
        found |= set(self.spec.sensors.bays) if self.spec.sensors else set()
        return sorted(found)


def load_vehicles(path: Path) -> Registry:
    """The registered vehicles CSV as a registry; a bad row is a ConfigError naming the row and column."""
    columns, rows = read_csv_rows(path, lambda reason: ConfigError(path, "", reason), "file not found")
    for needed in ("plate", "group"):
        if needed not in columns:
            raise ConfigError(path, needed, "column is missing")
    registry = Registry()
    for number, row in enumerate(rows, start=2):
        plate = sanitize(row.get("plate") or "")
        if not plate:
            raise ConfigError(path, f"row {number}.plate", "empty plate")
        group = (row.get("group") or "").strip()
        if not group:
            raise ConfigError(path, f"row {number}.group", "empty group")
        try:  # the group is shown in status lines and decisions
            no_control_characters(group)
        except ValueError as err:
            raise ConfigError(path, f"row {number}.group", str(err)) from None
        flags = {}
        for column in ("permit", "accessible"):
            value = (row.get(column) or "").strip().lower()
            if value not in ("", "true", "false", "yes", "no", "1", "0"):
                raise ConfigError(path, f"row {number}.{column}", f"{value!r} is not true or false")
            flags[column] = value in ("true", "yes", "1")
        tokens = tuple(t.strip() for t in (row.get("id_tokens") or "").split(";") if t.strip())
        registry.add(RegisteredVehicle(plate, group, flags["permit"], flags["accessible"], tokens))
    return registry


def load_site(path: Path) -> Site:
    return Site(path)
