"""A scenario fitted to a site's charging sessions: a base scenario with its demand replaced by the data's.

What the export shows is replaced: when drivers plug in (per local hour, weekdays and weekends apart), how
long they stay connected, how much energy they want, how fast their cars charge, how many stations there
are, the site's time zone and the export's window. Everything the export cannot show is the base's: the
policy, signage, enforcement, batteries, behaviour, general bays. The export holds charging sessions
only, so the fitted population is one group of EV drivers; the base's group that brings the most EVs
lends it its name (the policy looks rules up by group name) and its behaviour.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from pydantic import TypeAdapter

from baytwin.core.config import validate
from baytwin.sim.distributions import Distribution
from baytwin.sim.scenario import Chargers, Group, Scenario
from baytwin.sim.session_export import SessionExport
from baytwin.sim.session_fits import (
    censored_lognormal,
    Delivery,
    matched_need_and_power,
    power_choice,
    quantile_mixture,
    session_powers,
)

FINISHED_BEFORE_UNPLUG_S = 60.0  # charging that ended within a minute of the unplug was cut off by it


@dataclass(frozen=True)
class Calibration:
    """The fitted scenario, the document it was validated from, and what the fit assumed."""

    scenario: Scenario
    document: dict[str, Any]
    group: str
    notes: tuple[str, ...]


def main_ev_group(base: Scenario) -> str:
    """The base's group that brings the most EVs in a week."""
    def weekly_evs(name: str) -> float:
        group = base.population[name]
        return (5 * group.arrivals_per_day.weekday + 2 * group.arrivals_per_day.weekend) * group.ev_share

    return max(base.population, key=weekly_evs)


def calibrate(export: SessionExport, base: Scenario, name: str, seed: int = 1) -> Calibration:
    """Fit ``base`` to ``export``; ``name`` is the fitted scenario's name, ``seed`` the fit's own draws."""
    rng = random.Random(seed)
    sessions = export.sessions
    group_name = main_ev_group(base)
    group = base.population[group_name]
    notes: list[str] = []

    per_day, profile = arrival_fit(sessions.plug_in, export.zone, notes)
    delay_h = _mean(base.site.chargers.plug_in_delay_min, rng) / 60.0
    connected_h = (sessions.unplug - sessions.plug_in).dt.total_seconds().to_numpy() / 3600.0
    stay = quantile_mixture(connected_h + delay_h)
    notes.append(f"stay = connection time + {delay_h * 60:.1f} min plug-in delay (the base's), "
                 f"as {len(stay.get('parts', [stay]))} equal-probability slices of the data")

    energy, vehicle_max, chargers = charging_fit(sessions, connected_h, group, base.site.chargers, rng, notes)

    stations = sessions.station[sessions.station != ""].nunique()
    site = base.site.model_dump(mode="json", exclude_defaults=True)
    site.update(timezone=export.zone, chargers=chargers)
    if stations:
        site["ev_bays"] = int(stations)
    else:
        notes.append(f"the export names no stations: {base.site.ev_bays} EV bays kept from the base")

    fitted = group.model_dump(mode="json", exclude_defaults=True)
    fitted.update(
        ev_share=1.0, drivers=_drivers(sessions), arrivals_per_day=per_day, hourly_profile=profile,
        stay_h=stay, energy_need_kwh=energy, vehicle_max_kw=vehicle_max,
    )
    dropped = [other for other in base.population if other != group_name]
    if dropped:
        notes.append(f"base groups not in a charging export dropped: {', '.join(dropped)}")

    first_day = sessions.plug_in.min().tz_convert(ZoneInfo(export.zone)).date()
    document = base.model_dump(mode="json", exclude_defaults=True)
    document.update(
        name=name,
        description=(f"Fitted to {export.path.name} ({export.format}, {len(sessions):,} sessions) "
                     f"from {base.name}."),
        start=first_day.isoformat(), days=export.span_days, site=site, population={group_name: fitted},
    )
    fitted = {key: fitted[key] for key in Group.model_fields if key in fitted}  # the schema's order, as written
    document = {key: document[key] for key in Scenario.model_fields if key in document}
    document["population"] = {group_name: fitted}
    scenario = validate(Scenario, document, name)
    return Calibration(scenario, document, group_name, tuple(notes))


def charging_fit(sessions: pd.DataFrame, connected_h: np.ndarray, group: Group, chargers: Chargers,
                 rng: random.Random, notes: list[str]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(energy need, vehicles' maximum power, chargers) as scenario documents.

    A charging end within a minute of the unplug means the unplug cut charging off: that session's energy
    is a lower bound on the need, and its power is energy over connected time."""
    known = sessions.charging_done.notna().to_numpy()
    cut_off = known & ((sessions.unplug - sessions.charging_done).dt.total_seconds().to_numpy()
                       <= FINISHED_BEFORE_UNPLUG_S)
    finished = known & ~cut_off
    charging_h = np.where(finished, (sessions.charging_done - sessions.plug_in).dt.total_seconds() / 3600.0,
                          connected_h)
    powers = session_powers(sessions.energy_kwh.to_numpy()[known], charging_h[known], finished[known],
                            group.battery_kwh, group.target_soc, rng)
    charger_doc = chargers.model_dump(mode="json", exclude_defaults=True)
    vehicle_max: dict[str, Any] = group.vehicle_max_kw.model_dump(mode="json", exclude_defaults=True)
    charger_kw = chargers.power_kw
    if len(powers):
        vehicle_max = power_choice(powers)
        charger_kw = float(np.ceil(max(vehicle_max["values"]) * 10) / 10)
    else:
        notes.append("no session with a charging end: charging power kept from the base")

    seen = Delivery(sessions.energy_kwh.to_numpy(), np.where(known, charging_h, np.nan), connected_h)
    energy, scale = matched_need_and_power(censored_lognormal(seen.energy_kwh, ~finished), seen, group.battery_kwh,
                                           TypeAdapter(Distribution).validate_python(vehicle_max),
                                           charger_kw, group.target_soc, rng)
    notes.append(f"energy need: log-normal, fitted with {int((~finished).sum())} of {len(sessions)} sessions "
                 "censored (still charging at the unplug, or no charging end in the export), then need and "
                 "powers matched so that the base's battery sizes deliver the data's energy over the data's "
                 "charging times")
    if len(powers):
        vehicle_max = {**vehicle_max, "values": [round(v * scale, 2) for v in vehicle_max["values"]]}
        charger_doc["power_kw"] = float(np.ceil(charger_kw * scale * 10) / 10)
        notes.append(f"charging power from {len(powers)} sessions: vehicles {min(vehicle_max['values'])}-"
                     f"{max(vehicle_max['values'])} kW, chargers {charger_doc['power_kw']} kW")
    return energy, vehicle_max, charger_doc


def arrival_fit(plug_in: pd.Series, zone: str, notes: list[str]) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Mean plug-ins per local weekday and weekend day, and each kind of day's hourly shape.

    Days are counted over the whole local window, so a day without a session counts as a day with none.
    A kind of day the window never holds takes the other kind's rate and shape (said in ``notes``)."""
    local = plug_in.dt.tz_convert(zone)
    first, last = local.min().normalize(), local.max().normalize()
    days = pd.date_range(first, last, freq="D")
    weekend_day = days.day_of_week >= 5
    is_weekend = (local.dt.day_of_week >= 5).to_numpy()
    per_day: dict[str, float] = {}
    profile: dict[str, list[float]] = {}
    for kind, mask, n_days in (("weekday", ~is_weekend, int((~weekend_day).sum())),
                               ("weekend", is_weekend, int(weekend_day.sum()))):
        if n_days:
            per_day[kind] = round(float(mask.sum()) / n_days, 3)
        counts = np.bincount(local.dt.hour.to_numpy()[mask], minlength=24).astype(float)
        if counts.sum() > 0:
            profile[kind] = [round(float(c), 3) for c in counts / counts.sum() * 24.0]
    for kind, other in (("weekday", "weekend"), ("weekend", "weekday")):
        if kind not in per_day:
            per_day[kind] = per_day[other]
            notes.append(f"the export holds no {kind} day: {kind}s take the {other} rate")
        if kind not in profile:
            profile[kind] = profile[other]
    return per_day, profile


def _drivers(sessions: pd.DataFrame) -> int | None:
    """A fixed pool of the export's distinct drivers when most sessions name one (returning drivers);
    otherwise every arrival is a new driver."""
    named = sessions.driver.dropna()
    if len(named) * 2 < len(sessions):
        return None
    return int(named.nunique())


def _mean(distribution: Distribution, rng: random.Random, draws: int = 2000) -> float:
    """A distribution's mean by drawing (mixtures and bounds have no closed form worth keeping)."""
    return sum(distribution.sample(rng) for _ in range(draws)) / draws

