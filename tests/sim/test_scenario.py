"""Loading scenarios: extends, overrides, and clear errors for data that cannot be right."""

from __future__ import annotations

from pathlib import Path

import pytest

from baytwin.core.config import ConfigError
from baytwin.sim.scenario import load_scenario

BASE = """
name: base
site: {id: s, ev_bays: 3}
population:
  staff:
    arrivals_per_day: {weekday: 5, weekend: 1}
    stay_h: {dist: lognormal, median: 4, sigma: 0.5}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_variant_extends_its_base_and_overrides_by_dotted_path(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    variant = write(tmp_path, "v.yaml", "extends: base.yaml\nname: v\noverrides:\n  site.ev_bays: 7\n  policy.rules.overstay.grace_min: 5\n")
    scenario = load_scenario(variant)
    assert (scenario.name, scenario.site.ev_bays, scenario.policy.rules.overstay.grace_min) == ("v", 7, 5)
    assert scenario.population["staff"].arrivals_per_day.weekday == 5


def test_variant_replaces_a_distribution_whole(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    variant = write(tmp_path, "v.yaml", "extends: base.yaml\npopulation:\n  staff:\n    stay_h: {dist: exponential, mean: 2}\n")
    assert load_scenario(variant).population["staff"].stay_h.dist == "exponential"


def test_circular_extends_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(ConfigError, match="circular extends"):
        load_scenario(tmp_path / "a.yaml")


@pytest.mark.parametrize(
    ("extra", "field", "problem"),
    [
        ("weather: {clear: 0}\n", "weather", "must not all be zero"),
        ("weather: {night_hours: [5, 5]}\n", "weather", "two different hours"),
        ("behaviour: {signage_awareness: {good: 0.9}}\n", "behaviour.signage_awareness", "missing: none, poor"),
        ("policy: {exemptions: {exempt_groups: {fleet: [overstai]}}}\n", "policy.exemptions.exempt_groups", "unknown rule 'overstai'"),
        ("policy: {active_hours: [{start: '07:00', end: '24:59'}]}\n", "policy.active_hours.0.end", "HH:MM"),
        ("start: 2024-02-30\n", "start", "date"),
        ("site: {id: s, ev_bays: 3, timezone: Mars/Olympus}\n", "site.timezone", "unknown time zone"),
    ],
)
def test_impossible_values_are_rejected_naming_the_field(tmp_path: Path, extra: str, field: str, problem: str) -> None:
    path = write(tmp_path, "bad.yaml", BASE + extra)
    with pytest.raises(ConfigError) as err:
        load_scenario(path)
    message = str(err.value)
    assert message.startswith(str(path).split("/")[-1]) or "bad.yaml" in message
    assert f": {field}: " in message and problem in message
