"""The scenario a notebook asks for, loaded and overridden exactly as the command line does it.

A name or a file goes through the one scenario loader (``extends``, the policy file, ``--set`` overrides,
one-line ``ConfigError``). A Scenario already in hand (one a notebook loaded and edited) takes overrides
by the same dotted paths, applied to its document and validated again, so a value the scenario does not
accept is refused the same way, naming the path.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union

from baytwin.core.config import ConfigError, set_path, validate
from baytwin.sim.scenario import Scenario, load_scenario

ScenarioLike = Union[str, Path, Scenario]


def scenario_as_run(scenario: ScenarioLike, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """The validated scenario with ``overrides`` (dotted path -> value, as ``--set``) applied."""
    given = checked_overrides(overrides)
    if isinstance(scenario, Scenario):
        return with_overrides(scenario, given)
    if not isinstance(scenario, (str, Path)):
        raise TypeError(f"scenario: a bundled name, a YAML file or a Scenario, not {type(scenario).__name__}")
    _refuse_portfolio(scenario)
    return load_scenario(scenario, given)


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """``scenario`` with each dotted path set, validated again (a Scenario is never changed in place)."""
    if not overrides:
        return scenario
    document = scenario.model_dump(mode="json")
    source = f"scenario {scenario.name} (as overridden)"
    for dotted, value in overrides.items():
        set_path(document, dotted, value, source)
    return validate(Scenario, document, source)


def check_days(days: float | None) -> None:
    """Days must be a finite number above 0, as ``--days`` must: zero days is no run at all."""
    if days is None:
        return
    if isinstance(days, bool) or not isinstance(days, (int, float)) or not (math.isfinite(days) and days > 0):
        raise ValueError(f"days: must be a number of days above 0 (got {days!r})")


def whole_number(value: Any, name: str) -> int:
    """A seed as a Python int (a NumPy integer from a notebook's range is one); anything else refused."""
    try:
        if isinstance(value, bool):
            raise TypeError
        return operator.index(value)
    except TypeError:
        raise ValueError(f"{name}: must be a whole number (got {value!r})") from None


def checked_overrides(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """``overrides`` as a dict of dotted paths, or a one-line error naming the key that is not one."""
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise TypeError("overrides: a mapping of dotted.path -> value, e.g. {'site.signage': 'poor'}")
    for key in overrides:
        if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
            raise ValueError(f"overrides: {key!r} is not a dotted path (e.g. policy.rules.overstay.grace_min)")
    return dict(overrides)


def _refuse_portfolio(scenario: str | Path) -> None:
    """A portfolio is several sites, each its own run: say so rather than fail on its unknown fields."""
    from baytwin.sim.portfolio import find_portfolio

    if find_portfolio(scenario) is not None:
        raise ConfigError(scenario, "", "a portfolio of sites, not one scenario: run it with `baytwin sim run` "
                                        "or pass one of its sites' scenarios")
