"""What a synthetic bay-camera video shows: which car is in which bay, and when.

A script names the bays one fixed camera watches (two or three, side by
side, left to right as the camera sees them), optionally a neighbour bay
beyond them whose car is partly in view (the live reader must never give its
plate to a watched bay), and the visits::

    bays: [EV1, EV2]
    neighbour: right
    duration_s: 120
    visits:
      - {bay: EV1, plate: "AB12 CDE", format: uk, arrive_s: 2, leave_s: 40, note: EV arrives and charges}
      - {bay: neighbour, plate: "CD34 EFG", format: uk, arrive_s: -10, leave_s: 200}
      - {bay: EV2, plate: "KX19 PLM", format: uk, arrive_s: 50, leave_s: 90, plate_dirt: 3, note: muddy plate}

A visit starts to drive in at ``arrive_s``, comes to rest ``drive_s`` later,
starts to drive out ``drive_s`` before ``leave_s`` and is gone at
``leave_s``. Times are video seconds; a visit may begin before the video
(already parked at 0) or end after it (still there at the end). How video
time maps to site time is the live runner's business, not the script's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baytwin.core.config import load_yaml, validate
from baytwin.core.plates import load_formats, sanitize

NEIGHBOUR = "neighbour"  # the bay name visits in the neighbour bay use


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Visit(_Strict):
    bay: str = Field(min_length=1)
    plate: str = Field(min_length=1)
    format: str = "uk"
    arrive_s: float
    leave_s: float
    drive_s: float = Field(3.0, ge=1.0, le=6.0)  # how long driving in (and out) takes
    note: str = ""  # what the visit is for a reader of the script (e.g. "ICE car blocks the bay")
    # Mud on the plate (the ``dirt`` degradation's severity, 0..4): a plate that reads only marginally,
    # for the review queue, while every other car in the clip reads cleanly.
    plate_dirt: int = Field(0, ge=0, le=4)

    @field_validator("format")
    @classmethod
    def _known_format(cls, name: str) -> str:
        known = load_formats()
        if name not in known:
            raise ValueError(f"unknown plate format (known: {', '.join(known)})")
        return name

    @model_validator(mode="after")
    def _plate_and_times(self) -> Visit:
        try:
            load_formats()[self.format].display_text(self.plate)
        except ValueError:
            raise ValueError(f"@plate@ {self.plate!r} is not a {self.format} plate") from None
        if self.leave_s - self.arrive_s < 2 * self.drive_s + 0.5:
            raise ValueError(f"@leave_s@ must be at least {2 * self.drive_s + 0.5:g} s after arrive_s "
                             f"(driving in and out take {self.drive_s:g} s each), got {self.leave_s:g}")
        return self

    @property
    def text(self) -> str:
        return sanitize(self.plate)

    @property
    def parked_s(self) -> float:
        """When the car comes to rest in the bay."""
        return self.arrive_s + self.drive_s

    @property
    def leaving_s(self) -> float:
        """When the car starts to drive out."""
        return self.leave_s - self.drive_s


class VideoScript(_Strict):
    bays: list[str] = Field(min_length=2, max_length=3)  # watched bays, left to right in the picture
    neighbour: Literal["left", "right"] | None = None
    duration_s: float | None = Field(None, gt=0, le=3600)  # default: until the last visit has left, plus 2 s
    visits: list[Visit] = Field(default_factory=list)

    @field_validator("bays")
    @classmethod
    def _distinct(cls, bays: list[str]) -> list[str]:
        if len(set(bays)) != len(bays) or NEIGHBOUR in bays or any(not b for b in bays):
            raise ValueError(f"bay names must be distinct, non-empty and not '{NEIGHBOUR}'")
        return bays

    @model_validator(mode="after")
    def _visits_fit(self) -> VideoScript:
        for i, visit in enumerate(self.visits):
            if visit.bay == NEIGHBOUR and self.neighbour is None:
                raise ValueError(f"@visits.{i}.bay@ a visit to the neighbour bay needs 'neighbour: left|right'")
            if visit.bay != NEIGHBOUR and visit.bay not in self.bays:
                raise ValueError(f"@visits.{i}.bay@ unknown bay '{visit.bay}' (bays: {', '.join(self.bays)})")
            for j, other in enumerate(self.visits[:i]):
                if other.bay == visit.bay and visit.arrive_s < other.leave_s and other.arrive_s < visit.leave_s:
                    raise ValueError(f"@visits.{i}.arrive_s@ overlaps visit {j} in bay '{visit.bay}'")
        return self

    @property
    def length_s(self) -> float:
        if self.duration_s is not None:
            return self.duration_s
        ends = [v.leave_s for v in self.visits]
        return max(ends, default=0.0) + 2.0


def load_script(path: Path) -> VideoScript:
    """A video script from YAML; a ConfigError naming the file and field when it is wrong."""
    return validate(VideoScript, load_yaml(path), str(path))
