"""Distributions fitted to observed charging sessions, written in the scenario's own families.

Three fits, each chosen for what the twin does with the quantity:

* a stay is drawn once and lived out, so its whole shape decides idle time and occupancy: it is fitted as
  the data's own quantiles (equal-probability slices, each a ``uniform``; the outer slices are stretched
  or shrunk so that their mean is the data's, which keeps long-stay outliers from inflating the mean);
* an energy need is only seen whole when charging finished before the driver unplugged; otherwise the
  delivered energy is a lower bound. A log-normal is fitted by maximum likelihood with those sessions
  censored, so the twin's needs are not biased low by drivers who left early;
* charging power: a car charges at ``min(charger, vehicle)`` with a taper near full (sim/battery.py).
  Each session's power is solved from its energy and charging time through that same curve, and the
  vehicles' maximum power is the spread of those powers.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from baytwin.sim.battery import ChargeCurve
from baytwin.sim.distributions import Distribution

STAY_SLICES = 20
POWER_VALUES = 8
_MIN_SOC = 0.05  # the twin's lowest arrival state of charge (sim/agents.py)


def _round(value: float, digits: int = 3) -> float:
    return float(round(value, digits))


def quantile_mixture(values: np.ndarray, slices: int = STAY_SLICES) -> dict:
    """A ``mixture`` of ``uniform`` parts between the data's quantiles, one part per equal-probability slice."""
    values = np.sort(np.asarray(values, dtype=float))
    slices = max(1, min(slices, len(values) // 5))
    edges = np.quantile(values, np.linspace(0.0, 1.0, slices + 1))
    parts = []
    for i in range(slices):
        low, high = float(edges[i]), float(edges[i + 1])
        inside = values[(values >= low) & (values <= high)]
        mean = float(inside.mean()) if len(inside) else (low + high) / 2
        if i == 0 and slices > 1:
            low = max(float(values[0]), 2 * mean - high)
        if i == slices - 1:
            high = min(float(values[-1]), 2 * mean - low) if slices > 1 else high
        high = max(high, low)
        parts.append({"weight": 1.0, "of": {"dist": "uniform", "min": _round(low), "max": _round(high)}})
    if len(parts) == 1:
        return parts[0]["of"]
    return {"dist": "mixture", "parts": parts}


def censored_lognormal(values: np.ndarray, censored: np.ndarray) -> dict:
    """A ``lognormal`` fitted by maximum likelihood where ``censored`` values are lower bounds.

    Zero values carry no information about a log-normal and are left out; ``low`` is the smallest value
    seen so that the twin never asks for less energy than any driver took."""
    values, censored = np.asarray(values, dtype=float), np.asarray(censored, dtype=bool)
    keep = values > 0
    values, censored = values[keep], censored[keep]
    logs = np.log(values)
    exact, bound = logs[~censored], logs[censored]
    start = exact if len(exact) >= 2 else logs
    mu0, sigma0 = float(start.mean()), max(float(start.std()), 0.05)

    def negative_log_likelihood(theta: np.ndarray) -> float:
        mu, sigma = theta[0], math.exp(theta[1])
        return -(stats.norm.logpdf(exact, mu, sigma).sum() + stats.norm.logsf(bound, mu, sigma).sum())

    if len(exact) >= 2:
        found = optimize.minimize(negative_log_likelihood, np.array([mu0, math.log(sigma0)]), method="Nelder-Mead")
        mu, sigma = float(found.x[0]), math.exp(float(found.x[1]))
    else:  # nothing observed whole: the delivered energies are all that is known
        mu, sigma = mu0, sigma0
    return {"dist": "lognormal", "median": _round(math.exp(mu)), "sigma": _round(sigma),
            "low": _round(float(values.min()))}


def session_powers(energy_kwh: np.ndarray, charging_h: np.ndarray, finished: np.ndarray,
                   battery_kwh: Distribution, target_soc: float, rng: random.Random) -> np.ndarray:
    """Each session's charging power in kW, as the twin would need it to deliver the energy in the time.

    A session that finished charging went up to the target state of charge through the taper, so its power
    is solved through the charge curve with a battery drawn from the scenario's battery sizes; one that was
    still charging at the unplug was below the taper, so its power is energy over time."""
    powers = []
    for energy, hours, done in zip(energy_kwh, charging_h, finished):
        if hours <= 0 or energy <= 0:
            continue
        if not done:
            powers.append(energy / hours)
            continue
        battery = battery_kwh.sample(rng)
        start = max(_MIN_SOC, target_soc - energy / battery)
        powers.append(ChargeCurve(battery, 1.0).hours(start, target_soc) / hours)
    return np.asarray(powers, dtype=float)


def power_choice(powers: np.ndarray, values: int = POWER_VALUES) -> dict:
    """Vehicles' maximum power: a ``choice`` of the powers' quantiles (the middles of equal slices)."""
    levels = (np.arange(values) + 0.5) / values
    chosen = np.round(np.quantile(powers, levels), 2)
    distinct, counts = np.unique(chosen, return_counts=True)
    return {"dist": "choice", "values": [float(v) for v in distinct], "weights": [float(c) for c in counts]}



@dataclass(frozen=True)
class Delivery:
    """What the export shows of each session's charging: the energy delivered and, where known, how long
    the car drew power; with the connection times the twin's drivers will stay for."""

    energy_kwh: np.ndarray
    charging_h: np.ndarray  # NaN where the export has no charging end
    connected_h: np.ndarray


def matched_need_and_power(start: dict, seen: Delivery, battery_kwh: Distribution, vehicle_max_kw: Distribution,
                           charger_kw: float, target_soc: float, rng: random.Random,
                           draws: int = 1500) -> tuple[dict, float]:
    """The log-normal energy need, and a factor on every power, with which the twin delivers energy and
    charges for as long as the data shows (mean and median of each).

    The twin delivers less than a driver wants when the stay is too short or the battery too small for the
    need (a car never arrives below 5 % charge), and charges for longer when the battery is larger. The
    first fits know about short stays but not about the base's battery sizes, so the need and the powers
    are adjusted until the twin's sessions, drawn with the scenario's batteries and powers and the data's
    connection times (the same draws at every step), match."""
    charged = seen.charging_h[~np.isnan(seen.charging_h)]
    goal = np.array([np.mean(seen.energy_kwh), _middle(seen.energy_kwh),
                     *((np.mean(charged), _middle(charged)) if len(charged) else ())])
    if goal.min() <= 0:
        return start, 1.0
    # Stratified draws (normal quantiles, the data's own connection times in turn) keep the search's
    # picture of the twin steady: plain random draws move a heavy-tailed mean by several per cent.
    z = stats.norm.ppf((np.arange(draws) + 0.5) / draws)
    rng.shuffle(z)
    stays = [float(h) for h in seen.connected_h]
    rng.shuffle(stays)
    cars = [(battery_kwh.sample(rng), min(charger_kw, vehicle_max_kw.sample(rng)), stays[i % len(stays)])
            for i in range(draws)]
    low = start.get("low") or 0.0

    def twin(theta: np.ndarray) -> np.ndarray:
        needs = np.maximum(low, np.exp(theta[0] + abs(theta[1]) * z))
        scale = math.exp(theta[2])
        energy, hours_charging = np.empty(draws), np.empty(draws)
        for i, (need, (battery, power, hours)) in enumerate(zip(needs, cars)):
            curve = ChargeCurve(battery, power * scale)
            soc = max(_MIN_SOC, target_soc - need / battery)
            energy[i] = (curve.soc_after(soc, hours, target_soc) - soc) * battery
            hours_charging[i] = min(hours, curve.hours(soc, target_soc))
        figures = [energy.mean(), _middle(energy), hours_charging.mean(), _middle(hours_charging)]
        return np.array(figures[:len(goal)])

    def mismatch(theta: np.ndarray) -> float:
        return float((np.log(np.maximum(twin(theta), 1e-9) / goal) ** 2).sum())

    first = np.array([math.log(start["median"]), start["sigma"], 0.0])
    best, best_mismatch = first, mismatch(first)
    for _ in range(2):  # a restart from the first answer gets out of a flat spot the draws leave
        simplex = np.vstack([best, best + np.diag([0.2, 0.2, 0.2])])  # steps a fit can feel (20 % or so)
        found = optimize.minimize(mismatch, best, method="Nelder-Mead",
                                  options={"xatol": 1e-3, "fatol": 1e-6, "maxiter": 200, "initial_simplex": simplex})
        if found.fun < best_mismatch:
            best, best_mismatch = found.x, float(found.fun)
    need = {**start, "median": _round(math.exp(float(best[0]))), "sigma": _round(abs(float(best[1])))}
    return need, math.exp(float(best[2]))


def _middle(values: np.ndarray) -> float:
    """The mean of the middle tenth (45th to 55th percentile): the median, but smooth enough for a search
    to feel which way to go."""
    low, high = np.quantile(values, [0.45, 0.55])
    return float(values[(values >= low) & (values <= high)].mean())
