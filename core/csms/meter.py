"""Reading energy and current out of OCPP sampled values (1.6 and 2.0.1 shape them alike)."""

from __future__ import annotations

from typing import Any


def energy_and_current(values: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    """(energy imported in Wh, current imported in A) from sampled values; None where absent.

    The energy register may be in Wh or kWh (1.6 ``unit``, 2.0.1 ``unit_of_measure.unit``); a current
    per phase gives the largest phase. Values that are not numbers are skipped.
    """
    energy = current = None
    for value in values:
        measurand = value.get("measurand", "Energy.Active.Import.Register")
        try:
            number = float(value["value"])
        except (KeyError, TypeError, ValueError):
            continue
        unit = value.get("unit") or (value.get("unit_of_measure") or {}).get("unit")
        if measurand == "Energy.Active.Import.Register":
            energy = number * 1000.0 if unit == "kWh" else number
        elif measurand == "Current.Import":
            current = number if current is None else max(current, number)
    return energy, current
