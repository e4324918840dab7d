"""Scenarios as data: a site, a population of drivers, conditions and a policy.

A scenario file is YAML, validated on load. Two mechanisms keep the files
short and a family of variants readable:

* ``extends: other.yaml`` starts from another scenario file (paths are relative
  to the file that names them);
* ``overrides: {dotted.path: value}`` sets single fields, e.g.
  ``policy.rules.overstay.grace_min: 5`` or ``site.signage: poor``.

The policy is its own file (``policy: policies/x.yaml``) so that the same
policy can be run on many sites and, later, on the live site unchanged.
docs/scenarios.md is the reference for every field.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer, model_validator

from baytwin.core.config import (
    ConfigError,
    Name,
    TimeZoneName,
    deep_merge,
    load_yaml,
    set_path,
    validate,
)
from baytwin.core.parking.policy import Parking, split_parking, validate_parking
from baytwin.core.rules.policy import Policy
from baytwin.sim.distributions import Distribution
from baytwin.sim.gate_spec import Gates

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def bundled_scenario_files() -> list[Path]:
    """Every bundled scenario file: those in the folders of a site archetype (a folder with a
    baseline.yaml). Other folders under scenarios/ hold other data (policies, live-demo scripts)."""
    return sorted(p for p in SCENARIO_DIR.glob("*/*.yaml") if (p.parent / "baseline.yaml").is_file())


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _without_absent(dumped: Any, name: str, value: Any) -> Any:
    """A dumped model without its optional section ``name`` when that is unset: a scenario without gates or
    parking is written exactly as before those sections existed (scenario.json, a run's identity)."""
    if value is None and isinstance(dumped, dict):
        dumped.pop(name, None)
    return dumped


class Enforcement(_Strict):
    """How the site learns who is in a bay, beyond what the chargers report."""

    mode: Literal["none", "anpr", "patrol"] = "anpr"
    patrol_interval_min: float = Field(60.0, gt=0)
    patrol_offset_min: float = Field(0.0, ge=0)


class ConditionRates(_Strict):
    misread_rate: float = Field(0.0, ge=0, le=1)
    noread_rate: float = Field(0.0, ge=0, le=1)
    # Shares of right and of wrong reads whose confidence passes the gate. Unset, confidences are drawn
    # from fixed ranges (right 0.86-1.0, wrong 0.55-0.97); a calibration sets them from measured reads.
    correct_accepted: float | None = Field(None, ge=0, le=1)
    misread_accepted: float | None = Field(None, ge=0, le=1)


class ImageFidelity(_Strict):
    """The ``images`` fidelity: each arrival's plate is rendered and read by the real OCR pipeline."""

    render: Literal["crop", "scene"] = "crop"  # plate crops (fast) or whole bay-camera frames (detector too)
    frames: int = Field(3, ge=1, le=10)  # frames captured per arrival, voted into one read
    degradations: dict[str, int] = Field(default_factory=dict)  # always present, e.g. {jpeg: 1, noise: 1}
    scene_size: tuple[int, int] = (1280, 720)

    @field_validator("degradations")
    @classmethod
    def _known(cls, value: dict[str, int]) -> dict[str, int]:
        from baytwin.sim.imagery.degradation_names import DEGRADATION_NAMES

        for name, severity in value.items():
            if name not in DEGRADATION_NAMES:
                raise ValueError(f"unknown degradation '{name}' (known: {', '.join(DEGRADATION_NAMES)})")
            if not 0 <= severity <= 4:
                raise ValueError(f"severity of '{name}' must be 0-4, got {severity}")
        return value


class Identification(_Strict):
    """How well vehicles are identified: exactly (``truth``), with declared error rates (``error_model``),
    or by rendering and reading plate images (``images``)."""

    fidelity: Literal["truth", "error_model", "images"] = "truth"
    misread_rate: float = Field(0.01, ge=0, le=1)
    noread_rate: float = Field(0.02, ge=0, le=1)
    correct_accepted: float | None = Field(None, ge=0, le=1)
    misread_accepted: float | None = Field(None, ge=0, le=1)
    conditions: dict[Literal["night", "rain", "snow", "fog"], ConditionRates] = Field(default_factory=dict)
    calibration: str | None = None  # an `ocr eval` report.json, or "bundled"; sets the rates above from measured reads
    confidence_gate: float = Field(0.90, ge=0, le=1)
    patrol_misread_rate: float = Field(0.002, ge=0, le=1)
    images: ImageFidelity = ImageFidelity()


class Chargers(_Strict):
    power_kw: float = Field(7.4, gt=0)
    fault_rate: float = Field(0.005, ge=0, le=1)  # probability that a session faults
    zero_current_share: float = Field(0.2, ge=0, le=1)  # EVs that report 0 A instead of SuspendedEV when full
    plug_in_delay_min: Distribution = {"dist": "uniform", "min": 0.5, "max": 3.0}  # type: ignore[assignment]
    voltage_v: float = Field(230.0, gt=0)
    meter_interval_min: float = Field(15.0, ge=0)  # meter values while charging; 0 = none
    # how chargers report: straight to the site (direct), or as OCPP through the central system's code
    protocol: Literal["direct", "ocpp1.6", "ocpp2.0.1", "mixed"] = "direct"


class Site(_Strict):
    id: Name = Field(min_length=1)
    timezone: TimeZoneName = "UTC"
    ev_bays: int = Field(ge=1)
    general_bays: int = Field(0, ge=0)
    signage: Literal["good", "poor", "none"] = "good"
    enforcement: Enforcement = Enforcement()
    identification: Identification = Identification()
    chargers: Chargers = Chargers()
    gates: Gates | None = None  # entry/exit barriers and pay terminals (sim/gate_spec.py); None: an open car park
    # the ISO 4217 code the site's money is in (fees, tickets, revenue); None: the policy's idle-fee currency.
    # A policy shared by sites in several countries quotes its amounts in each site's own money.
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")

    @model_serializer(mode="wrap")
    def _without_absent_gates(self, handler: Any) -> Any:
        return _without_absent(_without_absent(handler(self), "gates", self.gates), "currency", self.currency)


class WeatherSpan(_Strict):
    """A stretch of declared weather, in hours from the run's start, overriding the day's draw."""

    start_h: float = Field(ge=0)
    end_h: float = Field(gt=0)
    condition: Literal["clear", "rain", "snow", "fog"]
    severity: int | None = Field(None, ge=1, le=4)  # default: the weather's severity for that condition

    @model_validator(mode="after")
    def _ordered(self) -> "WeatherSpan":
        if self.end_h <= self.start_h:
            raise ValueError("end_h must be after start_h")
        return self


class Weather(_Strict):
    """Share of days with each condition, drawn once per day; a timeline may fix some stretches."""

    clear: float = Field(1.0, ge=0)
    rain: float = Field(0.0, ge=0)
    snow: float = Field(0.0, ge=0)
    fog: float = Field(0.0, ge=0)
    night_hours: tuple[int, int] = (19, 7)  # dark from the first hour until the second (local)
    # How bad each condition is when it happens (0-4, the imagery's severity scale); night is 850 nm IR.
    severity: dict[Literal["rain", "snow", "fog", "night"], int] = Field(
        default_factory=lambda: {"rain": 2, "snow": 2, "fog": 2, "night": 2})
    timeline: list[WeatherSpan] = Field(default_factory=list)

    @field_validator("severity")
    @classmethod
    def _severities(cls, value: dict[str, int]) -> dict[str, int]:
        for name, level in value.items():
            if not 1 <= level <= 4:
                raise ValueError(f"severity of '{name}' must be 1-4, got {level}")
        return {"rain": 2, "snow": 2, "fog": 2, "night": 2, **value}

    @model_validator(mode="after")
    def _sensible(self) -> "Weather":
        if self.clear + self.rain + self.snow + self.fog <= 0:
            raise ValueError("the shares of clear, rain, snow and fog must not all be zero")
        start, end = self.night_hours
        if not (0 <= start <= 23 and 0 <= end <= 23) or start == end:
            raise ValueError("night_hours must be two different hours of the day, 0-23 (e.g. [19, 7])")
        return self


class DayCounts(_Strict):
    weekday: float = Field(ge=0)
    weekend: float = Field(ge=0)


def _flat_profile() -> tuple[float, ...]:
    return (1.0,) * 24


class HourlyProfile(_Strict):
    """Relative arrival intensity per local hour (24 weights each)."""

    weekday: tuple[float, ...] = Field(default_factory=_flat_profile)
    weekend: tuple[float, ...] = Field(default_factory=_flat_profile)

    @field_validator("weekday", "weekend")
    @classmethod
    def _24_hours(cls, weights: tuple[float, ...]) -> tuple[float, ...]:
        if len(weights) != 24:
            raise ValueError(f"needs 24 hourly weights, got {len(weights)}")
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError("weights must be >= 0 and not all zero")
        return weights


class Group(_Strict):
    """A user group: who they are, when they come, how they charge and how they behave."""

    drivers: int | None = Field(None, ge=1)  # None: every arrival is a new, unknown driver
    registered: bool = True
    permit: bool = False
    accessible_share: float = Field(0.0, ge=0, le=1)
    plate_format: str = "uk"
    ev_share: float = Field(1.0, ge=0, le=1)
    arrivals_per_day: DayCounts
    hourly_profile: HourlyProfile = HourlyProfile()
    stay_h: Distribution
    energy_need_kwh: Distribution = {"dist": "lognormal", "median": 10.0, "sigma": 0.7, "low": 0.5}  # type: ignore[assignment]
    battery_kwh: Distribution = {"dist": "choice", "values": [40, 60, 77, 82]}  # type: ignore[assignment]
    vehicle_max_kw: Distribution = {"dist": "choice", "values": [7.4, 11.0]}  # type: ignore[assignment]
    target_soc: float = Field(0.9, gt=0, le=1)
    compliance: float = Field(0.7, ge=0, le=1)
    fee_response: float = Field(0.8, ge=0, le=1)
    notification_response: float = Field(0.6, ge=0, le=1)
    ice_in_ev_bay: float = Field(0.3, ge=0, le=1)
    return_delay_min: Distribution = {"dist": "lognormal", "median": 12.0, "sigma": 0.6}  # type: ignore[assignment]
    walk_back_min: Distribution = {"dist": "lognormal", "median": 4.0, "sigma": 0.5}  # type: ignore[assignment]
    plug_in_share: float = Field(1.0, ge=0, le=1)
    stay_h_by_arrival_hour: dict[str, Distribution] = Field(default_factory=dict)

    @field_validator("stay_h_by_arrival_hour")
    @classmethod
    def _hour_ranges(cls, by_hour: dict[str, Distribution]) -> dict[str, Distribution]:
        covered: set[int] = set()
        for key in by_hour:
            hours = arrival_hours(key)
            if covered & set(hours):
                raise ValueError(f"hour range {key!r} overlaps another")
            covered |= set(hours)
        return by_hour

    def stay_for(self, local_hour: int) -> Distribution:
        """The stay distribution of a car arriving at this local hour."""
        for key, distribution in self.stay_h_by_arrival_hour.items():
            if local_hour in arrival_hours(key):
                return distribution
        return self.stay_h


def arrival_hours(key: str) -> tuple[int, ...]:
    """Local hours of a range written ``"7-10"`` (7, 8, 9) or ``"22-6"`` (across midnight); one hour as ``"13"``."""
    problem = ValueError(f"hour range {key!r} is not HOUR or FROM-TO with hours 0-24 (e.g. 7-10)")
    parts = key.split("-")
    if len(parts) not in (1, 2) or not all(part.strip().isdigit() for part in parts):
        raise problem
    first = int(parts[0])
    end = first + 1 if len(parts) == 1 else int(parts[1])
    if first > 23 or end > 24 or end == first:
        raise problem
    return tuple(h % 24 for h in range(first, end if end > first else end + 24))


class Behaviour(_Strict):
    """How the population as a whole responds to signs and penalties."""

    signage_awareness: dict[Literal["good", "poor", "none"], float] = Field(
        default_factory=lambda: {"good": 0.95, "poor": 0.6, "none": 0.3}
    )
    deterrence_per_penalty: float = Field(0.15, ge=0, le=1)
    fee_half_response_per_min: float = Field(0.005, ge=0)  # the per-minute idle fee that moves half the responsive
    grace_aim_share: float = Field(0.8, gt=0, le=1)  # how much of the grace period a heeding driver plans to use

    @field_validator("signage_awareness")
    @classmethod
    def _complete_and_bounded(cls, awareness: dict[str, float]) -> dict[str, float]:
        missing = {"good", "poor", "none"} - set(awareness)
        if missing:
            raise ValueError(f"needs a value for every signage level (missing: {', '.join(sorted(missing))})")
        if any(not 0 <= v <= 1 for v in awareness.values()):
            raise ValueError("values must be between 0 and 1")
        return awareness


class Outputs(_Strict):
    collect_every_min: float = Field(60.0, gt=0)


class Scenario(_Strict):
    name: Name = Field(min_length=1)
    description: str = ""
    start: date = date(2024, 1, 1)
    days: float = Field(28.0, gt=0)
    seed: int = 1
    site: Site
    weather: Weather = Weather()
    behaviour: Behaviour = Behaviour()
    population: dict[Name, Group] = Field(min_length=1)
    policy: Policy = Policy()
    parking: Parking | None = None  # the policy's parking section, kept beside it (core/parking/policy.py)
    outputs: Outputs = Outputs()

    @model_validator(mode="before")
    @classmethod
    def _parking_from_policy(cls, data: Any) -> Any:
        """A policy's ``parking`` section is the gates' tariff, not an enforcement rule: it is taken out of the
        policy and kept beside it."""
        if isinstance(data, dict):
            policy, parking = split_parking(data.get("policy"))
            if parking is not None:
                given = data.get("parking")  # e.g. --set parking.tariff.rate=3: over the policy's section
                if isinstance(parking, dict) and isinstance(given, dict):
                    parking = deep_merge(parking, given)
                data = {**data, "policy": policy, "parking": parking}
        return data

    @model_serializer(mode="wrap")
    def _without_absent_parking(self, handler: Any) -> Any:
        return _without_absent(handler(self), "parking", self.parking)

    @model_validator(mode="after")
    def _known_formats(self) -> "Scenario":
        from baytwin.core.plates import load_formats

        formats = load_formats()
        for name, group in self.population.items():
            if group.plate_format not in formats:
                raise ValueError(
                    f"@population.{name}.plate_format@ unknown plate format '{group.plate_format}'"
                    f" (known: {', '.join(sorted(formats))})"
                )
        return self


# --- loading ----------------------------------------------------------------------------


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A path as given, or the name of a bundled scenario (``workplace-garage/baseline``)."""
    path = Path(name_or_path)
    if "\x00" in str(name_or_path):
        raise ConfigError(path, "", "not a usable path (it contains a NUL byte)")
    if path.exists():
        return path
    for candidate in (SCENARIO_DIR / f"{name_or_path}.yaml", SCENARIO_DIR / str(name_or_path)):
        if candidate.is_file():
            return candidate
    baseline = SCENARIO_DIR / str(name_or_path) / "baseline.yaml"
    if baseline.is_file():
        return baseline
    raise ConfigError(path, "", "file not found (neither a path nor a bundled scenario name)")


def load_raw(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The scenario document with ``extends`` followed, ``policy`` inlined and ``overrides`` applied."""
    try:
        path = path.resolve()
    except (OSError, RuntimeError) as err:  # RuntimeError: a symbolic link that points back at itself
        raise ConfigError(path, "", f"cannot resolve the path ({err})") from None
    if path in _seen:
        raise ConfigError(path, "extends", "circular extends")
    data = load_yaml(path)
    base: dict[str, Any] = {}
    if "extends" in data:
        parent = data.pop("extends")
        base = load_raw(referenced_file(path, "extends", parent), _seen + (path,))
    overrides = data.pop("overrides", {}) or {}
    if not isinstance(overrides, dict):
        raise ConfigError(path, "overrides", "must be a mapping of dotted.path: value")
    identification = (data.get("site") or {}).get("identification") if isinstance(data.get("site"), dict) else None
    if isinstance(identification, dict) and isinstance(identification.get("calibration"), str) \
            and identification["calibration"] != "bundled":
        # relative to the file that names it
        identification["calibration"] = str(referenced_file(path, "site.identification.calibration",
                                                            identification["calibration"]))
    policy = data.get("policy")
    if isinstance(policy, str):
        policy_path = referenced_file(path, "policy", policy)
        data["policy"] = load_yaml(policy_path)
        data["policy_file"] = display_path(policy_path)
    if "policy" in data:
        base.pop("policy", None)  # a variant naming its own policy replaces the parent's whole
        base.pop("policy_file", None)
    merged = deep_merge(base, data, whole=_is_distribution)
    for dotted, value in overrides.items():
        set_path(merged, str(dotted), value, path)
    if any(str(d).startswith("policy.") for d in overrides):
        merged["policy_overridden_by"] = display_path(path)
    return merged


def referenced_file(source: Path, field: str, value: Any) -> Path:
    """The file a field of ``source`` names, relative to ``source``'s folder unless absolute.

    The name is checked first: a NUL byte cannot be passed to the operating system at all (Python raises a
    ValueError deep inside the first ``open``), and control characters in a path are never what was meant."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(source, field, "must be a file path")
    if "\x00" in value:
        raise ConfigError(source, field, "not a usable path (it contains a NUL byte)")
    if not value.isprintable():
        raise ConfigError(source, field, f"not a usable path (it contains control characters: {value!r})")
    return source.parent / value


def _is_distribution(value: Any) -> bool:
    """A distribution is replaced whole by a variant, never merged field by field."""
    return isinstance(value, dict) and "dist" in value


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load, merge and validate a scenario; every problem is a ConfigError naming the file."""
    path = resolve_scenario_path(name_or_path)
    raw = load_raw(path)
    for dotted, value in (overrides or {}).items():
        set_path(raw, dotted, value, path)
    policy_file = raw.pop("policy_file", None)
    overridden_by = raw.pop("policy_overridden_by", None)
    if any(d.startswith("policy.") for d in overrides or {}):
        overridden_by = "--set"
    if isinstance(raw.get("policy"), dict) and policy_file:
        try:
            rules, parking = split_parking(raw["policy"])
            validate(Policy, rules, policy_file)
            if parking is not None:
                validate_parking(parking, policy_file)
        except ConfigError as err:
            where = f"policy of {display_path(path)}"
            if overridden_by:
                where += f", as overridden by {overridden_by}"
            raise err.noted(where) from None
    return validate(Scenario, raw, display_path(path))


def display_path(path: Path) -> str:
    """A path as a user would type it: relative to the working directory where possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except (ValueError, OSError, RuntimeError):  # elsewhere, or not resolvable (a symbolic link loop)
        return str(path)
