"""A portfolio's headline figures: per site, and for the estate as a whole.

How each total is formed, so that the estate figure is the one the operator would measure if the
sites were one site:

* **sums** for counts and amounts (violations, penalties, fees, energy, bays, arrivals); the mean
  number of occupied bays is a sum too (the estate's mean occupied bays);
* **ratios of the sums** for the rates whose numerator and denominator each site reports:
  precision (matched / detected), recall (matched / true), blocking probability (blocked /
  arrivals), occupied share (mean occupied bays / EV bays). This is each site's rate weighted by its
  own denominator, so a site with two detections does not weigh as much as one with two hundred;
* **bay-weighted means** (weights: EV bays) for the shares whose denominator a summary does not carry:
  the charging share of bay time and the turnover per bay and day (exact for turnover, since every
  site runs the same days). A site where the share is undefined is left out of the mean.

A rate with a zero denominator across the estate is null, as in a single run's summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SUMS = ("ev_bays", "general_bays", "arrivals", "blocked", "violations_true", "violations_detected",
        "violations_matched", "penalties", "false_penalties", "idle_fee_revenue", "mean_occupied_bays",
        "energy_kwh")
RATIOS = {
    "precision": ("violations_matched", "violations_detected"),
    "recall": ("violations_matched", "violations_true"),
    "blocking_probability": ("blocked", "arrivals"),
    "occupied_share": ("mean_occupied_bays", "ev_bays"),
}
BAY_WEIGHTED = ("charging_share_of_bay_time", "turnover_per_bay_day")

#: The figures shown per site and in total, in the order of portfolio.csv's columns.
HEADLINE = ("ev_bays", "general_bays", "arrivals", "blocked", "violations_true", "violations_detected",
            "violations_matched", "precision", "recall", "penalties", "false_penalties", "idle_fee_revenue",
            "mean_occupied_bays", "occupied_share", "blocking_probability", "charging_share_of_bay_time",
            "turnover_per_bay_day", "energy_kwh")


def headline(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A run's headline figures from its ``summary.json`` (the occupied share derived from it)."""
    figures = {name: summary.get(name) for name in HEADLINE}
    figures["occupied_share"] = _ratio(summary.get("mean_occupied_bays"), summary.get("ev_bays"))
    return figures


def totals(summaries: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The estate's figures from its sites' summaries (by label), formed as the module says."""
    rows = [headline(s) for s in summaries.values()]
    total: dict[str, Any] = {name: sum(r[name] or 0 for r in rows) for name in SUMS}
    total["idle_fee_revenue"] = round(total["idle_fee_revenue"], 2)
    for name, (numerator, denominator) in RATIOS.items():
        total[name] = _ratio(total[numerator], total[denominator])
    for name in BAY_WEIGHTED:
        defined = [(r[name], r["ev_bays"]) for r in rows if r[name] is not None]
        weight = sum(bays for _, bays in defined)
        total[name] = sum(v * bays for v, bays in defined) / weight if weight else None
    return {name: total[name] for name in HEADLINE}


def how_totals_are_formed() -> dict[str, Any]:
    """The rule behind every total, written into portfolio.json beside the figures."""
    return {"sum": list(SUMS), "ratio_of_sums": {k: list(v) for k, v in RATIOS.items()},
            "bay_weighted_mean": list(BAY_WEIGHTED)}


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None
