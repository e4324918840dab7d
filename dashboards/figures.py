"""What each summary figure means to a reader: a plain name, its unit, and which way is better.

The pages and the report say "41 % fewer bay-hours blocked", not "idle_bay_hours −0.41"; a sweep
ranks revenue highest-first and violations lowest-first without being told. Money is shown in the
run's currency (``run_currency``). A figure not listed here is shown under its own name, without a
unit, and has no natural direction (the page then asks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Better = Literal["higher", "lower"]
DEFAULT_CURRENCY = "GBP"


@dataclass(frozen=True)
class Figure:
    """``more``/``fewer`` are the words for a rise and a fall ("more drivers served")."""

    label: str
    unit: str = ""
    better: Better | None = None
    kind: Literal["count", "share", "money", "amount"] = "amount"
    more: str = "more"
    fewer: str = "fewer"


FIGURES: dict[str, Figure] = {
    "served": Figure("drivers served", "drivers", "higher", "count"),
    "blocked": Figure("drivers turned away", "drivers", "lower", "count"),
    "blocking_probability": Figure("share of drivers turned away", "", "lower", "share", "higher", "lower"),
    "arrivals": Figure("arrivals", "drivers", None, "count"),
    "turnover_per_bay_day": Figure("turnover", "visits per bay-day", "higher", "amount", "higher", "lower"),
    "charging_share_of_bay_time": Figure("charging share of bay time", "", "higher", "share", "higher", "lower"),
    "energy_kwh": Figure("energy delivered", "kWh", "higher", "amount", "more", "less"),
    "mean_occupied_bays": Figure("mean occupied EV bays", "bays", "lower", "amount"),
    "occupied_share": Figure("share of EV bays occupied", "", "lower", "share", "higher", "lower"),
    "ev_bays": Figure("EV bays", "bays", None, "count"),
    "mean_dwell_min": Figure("mean stay", "min", None, "amount", "longer", "shorter"),
    "idle_bay_hours": Figure("bay-hours blocked by idle cars", "bay-hours", "lower", "amount"),
    "violations_true": Figure("violations", "violations", "lower", "count"),
    "violations_detected": Figure("violations detected", "violations", None, "count"),
    "precision": Figure("detection precision", "", "higher", "share", "higher", "lower"),
    "recall": Figure("detection recall", "", "higher", "share", "higher", "lower"),
    "false_penalties": Figure("false penalties", "penalties", "lower", "count"),
    "penalties": Figure("penalties", "penalties", None, "count"),
    "penalties_on_drivers_moving": Figure("penalties on drivers moving their car", "penalties", "lower", "count"),
    "time_to_detection_min_mean": Figure("mean time to detection", "min", "lower", "amount", "longer", "shorter"),
    "plates_identified_share": Figure("plates identified", "", "higher", "share", "higher", "lower"),
    "identity_precision": Figure("identity precision", "", "higher", "share", "higher", "lower"),
    "wrong_identifications": Figure("wrong identifications", "reads", "lower", "count"),
    "idle_fee_revenue": Figure("idle-fee revenue", "", "higher", "money", "more", "less"),
    "parking_revenue": Figure("parking revenue", "", "higher", "money", "more", "less"),
    "gate_exits_held": Figure("exits held at the barrier", "exits", "lower", "count"),
}

# What a planner weighs against each other in a sweep's trade-off view (availability, revenue,
# violations, false penalties), in the order offered.
TRADE_OFF = ("mean_occupied_bays", "idle_bay_hours", "idle_fee_revenue", "violations_true", "false_penalties")


def figure(name: str) -> Figure:
    return FIGURES.get(name, Figure(name))


def better(name: str) -> Better | None:
    return figure(name).better


def run_currency(scenario: dict[str, Any]) -> str:
    """The currency a run's money is in: the site's ``currency`` when the scenario sets one (a policy
    shared by sites in several countries quotes its amounts in each site's money), else the idle
    fee's currency in the policy, else GBP."""
    site = scenario.get("site") or {}
    policy_fee = (scenario.get("policy") or {}).get("idle_fee") or {}
    return str(site.get("currency") or policy_fee.get("currency") or DEFAULT_CURRENCY)


def unit_of(name: str, currency: str) -> str:
    """The unit a figure is measured in, the currency for money, "%" for shares."""
    shown = figure(name)
    if shown.kind == "money":
        return currency
    if shown.kind == "share":
        return "%"
    return shown.unit


def format_value(name: str, value: Any, currency: str = DEFAULT_CURRENCY, *, signed: bool = False) -> str:
    """A figure with its unit as a person reads it: "GBP 1,917.20", "37.5 %", "12 drivers", "–" for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    shown = figure(name)
    number = float(value)
    sign = "+" if signed and number > 0 else ""
    if shown.kind == "money":
        return f"{sign}{currency} {number:,.2f}" if not signed or number >= 0 else f"−{currency} {abs(number):,.2f}"
    if shown.kind == "share":
        return f"{sign}{number * 100:,.1f} %" if not signed else f"{sign}{number * 100:,.1f} points"
    if shown.kind == "count" and float(number).is_integer() and not signed:
        text = f"{int(number):,}"
    else:
        text = f"{sign}{number:,.3g}" if abs(number) < 100 else f"{sign}{number:,.0f}"
    return f"{text} {shown.unit}".strip() if shown.unit else text


def format_number(value: Any) -> str:
    """A bare figure, three significant digits, thousands separated (tables with a unit column)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    number = float(value)
    return f"{number:,.3g}" if abs(number) < 1000 else f"{number:,.0f}"


def format_percent(share: float) -> str:
    """A relative change: "41 %" (no sign: the sentence says more or fewer)."""
    if math.isnan(share):
        return "–"
    return f"{abs(share) * 100:.0f} %" if abs(share) >= 0.1 else f"{abs(share) * 100:.1f} %"


def format_range(name: str, low: Any, high: Any, currency: str = DEFAULT_CURRENCY) -> str:
    """An interval with its unit said once: "3.17–3.52 bays", "GBP 407.37–517.14", "31.2–35.0 %"."""
    first, second = format_value(name, low, currency), format_value(name, high, currency)
    if "–" in (first, second) and (first == "–" or second == "–"):
        return "–"
    prefix = f"{currency} " if figure(name).kind == "money" else ""
    suffix = " " + unit_of(name, currency) if unit_of(name, currency) and figure(name).kind != "money" else ""
    if prefix and second.startswith(prefix):
        second = second[len(prefix):]
    if suffix and first.endswith(suffix):
        first = first[: -len(suffix)]
    return f"{first} to {second}" if first.startswith("-") or second.startswith("-") else f"{first}–{second}"
