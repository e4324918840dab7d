"""Reading energy and current out of OCPP sampled values (1.6 and 2.0.1 shape them alike)."""

from __future__ import annotations

import logging
import math
from typing import Any

from ocpp.exceptions import PropertyConstraintViolationError

from baytwin.core.csms.central import InvalidValue

LOG = logging.getLogger("baytwin.csms")

Reading = tuple[float | None, float | None, str | None]  # (energy Wh, current A, the reading's timestamp)


def energy_and_current(values: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    """(energy imported in Wh, current imported in A) from sampled values; None where absent.

    The energy register may be in Wh or kWh (1.6 ``unit``, 2.0.1 ``unit_of_measure.unit``); a current
    per phase gives the largest phase. Values that are not numbers are skipped; a number that cannot
    be a measurement (NaN, infinite, a negative energy register) raises ``InvalidValue``, because
    stored it would poison the session's energy and every figure built on it.
    """
    energy = current = None
    for value in values:
        measurand = value.get("measurand", "Energy.Active.Import.Register")
        try:
            number = float(value["value"])
        except (KeyError, TypeError, ValueError, OverflowError):
            continue
        if measurand not in ("Energy.Active.Import.Register", "Current.Import"):
            continue
        if not math.isfinite(number) or (measurand == "Energy.Active.Import.Register" and number < 0):
            raise InvalidValue(f"{measurand} value {value.get('value')!r} is not a finite, non-negative number")
        unit = value.get("unit") or (value.get("unit_of_measure") or {}).get("unit")
        if measurand == "Energy.Active.Import.Register":
            energy = number * 1000.0 if unit == "kWh" else number
        else:
            current = number if current is None else max(current, number)
    return energy, current


def readings(meter_values: list[dict[str, Any]] | None, station: str, drop_invalid: bool) -> list[Reading]:
    """Every meter value of a message, checked before anything is changed.

    A message that only reports readings is refused whole (PropertyConstraintViolation) when one is
    invalid, so the charger learns of it; a message that also ends a transaction (``drop_invalid``)
    keeps the end and drops the bad reading, since refusing it would leave the session open forever.
    """
    found: list[Reading] = []
    for reading in meter_values or []:
        try:
            energy, current = energy_and_current(reading.get("sampled_value", []))
        except InvalidValue as err:
            if not drop_invalid:
                raise PropertyConstraintViolationError(description=str(err)) from None
            LOG.warning("%s: %s; reading dropped, the transaction's end is kept", station, err)
            continue
        if energy is not None or current is not None:
            found.append((energy, current, reading.get("timestamp")))
    return found


def valid_meter(value: float | None, station: str, what: str) -> float | None:
    """A meterStart/meterStop that is a usable number, else None (logged)."""
    if value is None:
        return None
    if not math.isfinite(value) or value < 0:
        LOG.warning("%s: %s %r is not a valid reading; ignored", station, what, value)
        return None
    return value
