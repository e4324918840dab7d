"""What a stay owes: the tariff applied to the minutes that are billable.

Pure functions of the policy and a stay's known facts, so the controller, the twin's figures and the
tests all price a stay the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from baytwin.core.parking.policy import Parking, Tariff

_EPSILON_MIN = 1e-6  # floating point noise must not start another hour


@dataclass(frozen=True, slots=True)
class Price:
    """A stay's price and how it was reached (minutes are those of the billed interval)."""

    minutes: float  # billed interval: from the stay's start as known to the exit
    free_minutes: float  # of those, free by the tariff
    validated_minutes: float  # of those, free by a charging session's validation
    chargeable_minutes: float  # what the tariff was applied to
    amount: float
    over_max_stay: bool


def tariff_amount(tariff: Tariff, chargeable_min: float) -> float:
    """The tariff on ``chargeable_min`` minutes, capped, rounded to the cent."""
    if chargeable_min <= _EPSILON_MIN:
        return 0.0
    if tariff.basis == "per_started_hour":
        amount = math.ceil(chargeable_min / 60.0 - _EPSILON_MIN) * tariff.rate
    else:
        amount = chargeable_min * tariff.rate
    if tariff.cap is not None:
        amount = min(amount, tariff.cap)
    return round(amount, 2)


def price(parking: Parking, minutes: float, validated: bool, start_known: bool) -> Price:
    """The price of a stay billed for ``minutes``; ``validated``: a qualifying charging session happened in it;
    ``start_known``: its entry was recorded (only then can it be over the maximum stay)."""
    minutes = max(0.0, minutes)
    free = min(minutes, parking.tariff.free_min)
    rule = parking.validation
    validated_min = 0.0
    if validated and rule.enabled:
        if rule.mode == "whole_stay":
            validated_min = minutes - free
        elif rule.mode == "free_minutes":
            validated_min = min(minutes - free, rule.free_min)
    chargeable = max(0.0, minutes - free - validated_min)
    amount = tariff_amount(parking.tariff, chargeable)
    over = False
    if start_known and parking.max_stay_min is not None:
        limit = parking.max_stay_min + (rule.extend_min if validated and rule.enabled
                                        and rule.mode == "extend_max_stay" else 0.0)
        over = minutes > limit + _EPSILON_MIN
        if over:
            amount = round(amount + parking.over_max_stay_fee, 2)
    return Price(minutes, free, validated_min, chargeable, amount, over)
