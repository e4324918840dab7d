"""The twin against queueing theory.

With stationary Poisson arrivals, c bays and no waiting room, blocking follows
the Erlang-B formula whatever the dwell distribution (M/G/c/c is insensitive),
and the mean number of occupied bays follows Little's law.
"""

from __future__ import annotations

import math

import pytest

from baytwin.sim.runner import run

from .factories import scenario


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of an M/G/c/c system, by the stable recursion."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def test_erlang_b_recursion_matches_the_closed_form() -> None:
    c, a = 5, 3.0
    closed = (a**c / math.factorial(c)) / sum(a**k / math.factorial(k) for k in range(c + 1))
    assert erlang_b(c, a) == pytest.approx(closed)


STAYS = {
    "exponential": {"dist": "exponential", "mean": 3.0},
    "uniform": {"dist": "uniform", "min": 1.0, "max": 5.0},
    "lognormal": {"dist": "lognormal", "median": 3.0 / math.exp(0.5**2 / 2), "sigma": 0.5},
}


@pytest.mark.parametrize("stay", list(STAYS))
def test_blocking_matches_erlang_b_for_any_dwell_distribution(stay: str) -> None:
    bays, per_hour, mean_stay_h, days = 10, 3.0, 3.0, 150
    s = scenario(days=days, site={"ev_bays": bays},
                 population={"drivers": {"stay_h": STAYS[stay], "arrivals_per_day": {"weekday": per_hour * 24, "weekend": per_hour * 24}}})
    _, result = run(s)
    summary = result.summary
    expected = erlang_b(bays, per_hour * mean_stay_h)  # ~0.168
    n = summary["arrivals"]
    # Blocking events cluster in time; widen the binomial standard error accordingly.
    tolerance = 6 * math.sqrt(expected * (1 - expected) / n)
    assert summary["blocking_probability"] == pytest.approx(expected, abs=tolerance)


def test_mean_occupied_bays_follows_littles_law() -> None:
    days = 150
    s = scenario(days=days, site={"ev_bays": 10})
    _, result = run(s)
    summary, sessions = result.summary, result.sessions
    served = sessions[sessions.bay.notna()]
    throughput_per_s = len(served) / (days * 86400.0)
    mean_dwell_s = served.dwell_min.mean() * 60.0
    assert summary["mean_occupied_bays"] == pytest.approx(throughput_per_s * mean_dwell_s, rel=0.03)
    # and the offered load matches what was declared
    assert summary["arrivals"] / days == pytest.approx(72, rel=0.05)
