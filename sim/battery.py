"""How long an EV takes to charge: constant power, then a taper above 80 % state of charge.

Above ``TAPER_SOC`` the power falls linearly with the remaining capacity
(``P = Pmax * (1 - soc) / (1 - TAPER_SOC)``) down to a floor of
``FLOOR * Pmax``, the shape of the constant-current / constant-voltage
charge of a lithium-ion pack. Both directions (time for a SoC change, SoC
after a time) are closed-form so that a site-year needs no numeric stepping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TAPER_SOC = 0.8
FLOOR = 0.15
_FLOOR_SOC = 1.0 - FLOOR * (1.0 - TAPER_SOC)  # SoC at which the taper reaches the floor


@dataclass(frozen=True, slots=True)
class ChargeCurve:
    battery_kwh: float
    max_kw: float

    def power_kw(self, soc: float) -> float:
        if soc < TAPER_SOC:
            return self.max_kw
        return self.max_kw * max(FLOOR, (1.0 - soc) / (1.0 - TAPER_SOC))

    def hours(self, soc0: float, soc1: float) -> float:
        """Hours to charge from ``soc0`` to ``soc1``."""
        if soc1 <= soc0:
            return 0.0
        b, p = self.battery_kwh, self.max_kw
        total = 0.0
        # constant-power segment
        a, z = soc0, min(soc1, TAPER_SOC)
        if z > a:
            total += (z - a) * b / p
        # tapering segment: d(soc)/dt = p (1 - soc) / (0.2 b)  ->  t = 0.2 b / p * ln((1-a)/(1-z))
        a, z = max(soc0, TAPER_SOC), min(soc1, _FLOOR_SOC)
        if z > a:
            total += (1.0 - TAPER_SOC) * b / p * math.log((1.0 - a) / (1.0 - z))
        # floor segment
        a, z = max(soc0, _FLOOR_SOC), soc1
        if z > a:
            total += (z - a) * b / (FLOOR * p)
        return total

    def soc_after(self, soc0: float, hours: float, soc_cap: float = 1.0) -> float:
        """State of charge after charging ``hours`` from ``soc0`` (never above ``soc_cap``)."""
        b, p = self.battery_kwh, self.max_kw
        soc, left = soc0, max(0.0, hours)
        if soc < TAPER_SOC:
            need = (TAPER_SOC - soc) * b / p
            if left <= need:
                return min(soc_cap, soc + left * p / b)
            soc, left = TAPER_SOC, left - need
        if soc < _FLOOR_SOC:
            need = (1.0 - TAPER_SOC) * b / p * math.log((1.0 - soc) / (1.0 - _FLOOR_SOC))
            if left <= need:
                return min(soc_cap, 1.0 - (1.0 - soc) * math.exp(-left * p / ((1.0 - TAPER_SOC) * b)))
            soc, left = _FLOOR_SOC, left - need
        return min(soc_cap, soc + left * FLOOR * p / b)
