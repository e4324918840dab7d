"""The parking section of a policy: what a stay costs and what charging customers get.

Written under ``parking:`` in a policy file, beside the enforcement rules, so the policy a twin
ran is the one a live site charges by. It is validated on load like every other data file; the
rules engine does not read it (parking payment is not enforcement), the gate controller does.
docs/gates.md lists every field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from baytwin.core.config import ConfigError, validate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tariff(_Strict):
    """The price of a stay: per started hour or per minute, after free minutes, capped per stay."""

    basis: Literal["per_started_hour", "per_minute"] = "per_started_hour"
    rate: float = Field(2.0, ge=0)  # currency per hour (per_started_hour) or per minute (per_minute)
    free_min: float = Field(0.0, ge=0)  # every stay's first minutes cost nothing
    cap: float | None = Field(None, ge=0)  # most one stay costs; null: no cap
    currency: str = "GBP"


class ChargingValidation(_Strict):
    """What a charging session at the site gives the parking stay it happened in.

    ``free_minutes``: ``free_min`` minutes of the stay cost nothing (on top of the tariff's free minutes);
    ``whole_stay``: the stay costs nothing; ``extend_max_stay``: the stay's maximum is ``extend_min`` longer.
    A session qualifies when it lasted at least ``min_session_min``."""

    enabled: bool = True
    mode: Literal["free_minutes", "whole_stay", "extend_max_stay"] = "free_minutes"
    free_min: float = Field(120.0, ge=0)
    extend_min: float = Field(60.0, ge=0)
    min_session_min: float = Field(0.0, ge=0)


class Parking(_Strict):
    """Parking payment at a site with barriers."""

    tariff: Tariff = Tariff()
    validation: ChargingValidation = ChargingValidation()
    # a stay longer than this (plus a validated extension) owes ``over_max_stay_fee`` on top; null: no maximum.
    # Only a stay whose entry was recorded can owe it: a start taken from later evidence proves no overstay.
    max_stay_min: float | None = Field(None, gt=0)
    over_max_stay_fee: float = Field(0.0, ge=0)
    # the payment system is down and a car with something to pay is at the exit: open and bill the plate later,
    # or hold the car until payment works again
    on_payment_outage: Literal["open_bill_later", "hold"] = "open_bill_later"
    # registered vehicles with a permit (staff, residents) park free; false: they pay like anyone
    permits_park_free: bool = True

    @model_validator(mode="after")
    def _extension_needs_a_maximum(self) -> "Parking":
        if self.validation.enabled and self.validation.mode == "extend_max_stay" and self.max_stay_min is None:
            raise ValueError("@validation.mode@ extend_max_stay needs a max_stay_min to extend")
        return self


def split_parking(policy: Any) -> tuple[Any, Any]:
    """A policy document without its ``parking`` section, and that section (None without one).

    The enforcement policy's model takes no ``parking`` field, so the loaders take it out first and
    validate it on its own, naming the same file."""
    if not isinstance(policy, dict) or "parking" not in policy:
        return policy, None
    rest = dict(policy)
    return rest, rest.pop("parking")


def validate_parking(data: Any, source: str | Path) -> Parking:
    """The ``parking`` section of the policy file ``source``; a problem names the field from ``parking.`` on."""
    try:
        return validate(Parking, data if data is not None else {}, source)
    except ConfigError as err:
        field = "parking" + (f".{err.field}" if err.field and err.field != "(top level)" else "")
        raise ConfigError(err.source, field, err.problem) from None
