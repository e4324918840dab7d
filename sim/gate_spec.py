"""The ``site.gates`` section of a scenario: the car park's barriers as the twin models them.

Only data and its checks; sim/gates.py runs it. Kept apart from sim/scenario.py so the scenario model
can name it without importing the twin's processes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from baytwin.sim.distributions import Distribution


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class Gate(_Strict):
    """One side of the barriers: how cars are identified there."""

    reader: Literal["anpr", "ticket"] = "anpr"  # a camera reading plates, or tickets only
    unreadable_rate: float = Field(0.03, ge=0, le=1)  # anpr: share of cars whose plate is not read (confidently)


class ExitGate(Gate):
    lanes: int = Field(1, ge=1, le=20)  # exit lanes, each with its own barrier and pay terminal


class PaymentOutage(_Strict):
    """A stretch, in hours from the run's start, when the payment system is down."""

    start_h: float = Field(ge=0)
    end_h: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> "PaymentOutage":
        if self.end_h <= self.start_h:
            raise ValueError("end_h must be after start_h")
        return self


class Gates(_Strict):
    """Barriers at the car park's entry and exit, with pay-on-exit terminals."""

    entry: Gate = Gate()
    exit: ExitGate = ExitGate()
    tailgate_probability: float = Field(0.0, ge=0, le=1)  # share of arrivals that follow the car ahead in
    pay_min: Distribution = {"dist": "uniform", "min": 0.3, "max": 1.0}  # type: ignore[assignment]
    keypad_min: Distribution = {"dist": "uniform", "min": 0.3, "max": 0.8}  # type: ignore[assignment]
    payment_outages: list[PaymentOutage] = Field(default_factory=list)
