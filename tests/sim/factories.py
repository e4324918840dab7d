"""Small scenarios built in code for the twin's tests."""

from __future__ import annotations

from typing import Any

from baytwin.core.config import deep_merge
from baytwin.sim.scenario import Scenario


def scenario(**overrides: Any) -> Scenario:
    """A one-group EV-only site with stationary Poisson arrivals and no enforcement, then ``overrides``."""
    base: dict[str, Any] = {
        "name": "test-site",
        "start": "2024-01-01",
        "days": 10,
        "seed": 7,
        "site": {"id": "test", "timezone": "UTC", "ev_bays": 10, "enforcement": {"mode": "none"},
                 "chargers": {"power_kw": 7.4, "fault_rate": 0.0}},
        "policy": {"rules": {"not_charging": {"enabled": False}, "overstay": {"enabled": False}}},
        "population": {
            "drivers": {
                "drivers": None,
                "registered": False,
                "arrivals_per_day": {"weekday": 72, "weekend": 72},
                "stay_h": {"dist": "exponential", "mean": 3.0},
                "compliance": 1.0,
            }
        },
    }
    merged = deep_merge(base, overrides)
    stay = overrides.get("population", {}).get("drivers", {}).get("stay_h")
    if stay is not None:  # a distribution is replaced whole, not merged field by field
        merged["population"]["drivers"]["stay_h"] = stay
    return Scenario.model_validate(merged)
