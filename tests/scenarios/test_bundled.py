"""The bundled scenarios: every file loads, every baseline runs, every variant changes only what it says.

Each archetype (a folder under scenarios/ with a baseline.yaml) has the same
family of variants, each a small file that ``extends: baseline.yaml``. The
variant tests load the baseline and the variant and compare them field by
field: the variant must set what its name claims and nothing else (beyond its
name and description). Where the baseline has no rules at all (the workplace
garage runs policies/no-enforcement.yaml), a variant also switches to
policies/standard.yaml, and is compared with the baseline under that policy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from baytwin.core.config import load_yaml
from baytwin.core.rules.policy import load_policy
from baytwin.sim.runner import run
from baytwin.sim.scenario import SCENARIO_DIR, Scenario, bundled_scenario_files, load_scenario

POLICY_DIR = SCENARIO_DIR / "policies"
SCENARIO_FILES = bundled_scenario_files()
POLICY_FILES = sorted(POLICY_DIR.glob("*.yaml"))
ARCHETYPES = sorted(p.parent.name for p in SCENARIO_DIR.glob("*/baseline.yaml"))
EXPECTED_ARCHETYPES = {"workplace-garage", "residential-block", "retail-car-park", "highway-dc-hub", "fleet-depot"}

# variant file -> (fields it must set, with their values; other fields it may also set, by prefix)
VARIANTS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "grace-5": ({"policy.rules.overstay.grace_min": 5}, ()),
    "grace-10": ({"policy.rules.overstay.grace_min": 10}, ()),
    "grace-15": ({"policy.rules.overstay.grace_min": 15}, ()),
    "grace-30": ({"policy.rules.overstay.grace_min": 30}, ()),
    "idle-fee-on": ({"policy.idle_fee.enabled": True}, ()),
    "idle-fee-off": ({"policy.idle_fee.enabled": False}, ()),
    "signage-poor": ({"site.signage": "poor"}, ()),
    "signage-good": ({"site.signage": "good"}, ()),
    "patrol": ({"site.enforcement.mode": "patrol"}, ("site.enforcement.",)),
    "anpr": ({"site.enforcement.mode": "anpr", "site.identification.fidelity": "error_model"},
             ("site.enforcement.", "site.identification.")),
}
FAMILIES = {
    "grace": ("grace-5", "grace-10", "grace-15", "grace-30"),
    "idle-fee": ("idle-fee-on", "idle-fee-off"),
    "signage": ("signage-poor", "signage-good"),
    "monitoring": ("patrol", "anpr"),
}
IGNORED = {"name", "description"}


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested dump as {dotted.path: leaf}; lists, tuples and sets are leaves."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(flatten(child, f"{prefix}{key}."))
        if not value and prefix:
            out[prefix[:-1]] = {}
        return out
    return {prefix[:-1]: value}


def differences(a: Scenario, b: Scenario) -> dict[str, tuple[Any, Any]]:
    fa, fb = flatten(a.model_dump()), flatten(b.model_dump())
    missing = object()
    return {
        path: (fa.get(path, missing), fb.get(path, missing))
        for path in sorted(set(fa) | set(fb))
        if path not in IGNORED and fa.get(path, missing) != fb.get(path, missing)
    }


def reference(archetype: str) -> Scenario:
    """The baseline the variants are measured against (under the standard policy if it has no rules)."""
    path = SCENARIO_DIR / archetype / "baseline.yaml"
    baseline = load_scenario(path)
    rules = baseline.policy.rules
    if not (rules.not_charging.enabled or rules.overstay.enabled or rules.max_stay.enabled):
        return load_scenario(path, {"policy": load_yaml(POLICY_DIR / "standard.yaml")})
    return baseline


# --- every file loads ---------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=_id)
def test_scenario_loads_and_validates(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name
    assert scenario.population


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.stem)
def test_policy_loads_and_validates(path: Path) -> None:
    policy = load_policy(path)
    assert policy.name == path.stem


def test_scenario_names_are_unique() -> None:
    names = [load_scenario(path).name for path in SCENARIO_FILES]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_every_archetype_is_bundled() -> None:
    assert EXPECTED_ARCHETYPES <= set(ARCHETYPES)


# --- every baseline runs -------------------------------------------------------------------


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_baseline_runs_two_days(archetype: str) -> None:
    scenario = load_scenario(f"{archetype}/baseline")
    assert 28 <= scenario.days <= 56
    _, result = run(scenario, days=2)
    assert not result.sessions.empty
    assert result.summary["arrivals"] == len(result.sessions)
    assert result.summary["ev_bay_visits"] > 0


# --- every variant changes only what it claims -------------------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_variant_differs_only_in_what_it_claims(archetype: str, variant: str) -> None:
    path = SCENARIO_DIR / archetype / f"{variant}.yaml"
    assert path.is_file(), f"{archetype} has no {variant}.yaml"
    assert load_yaml(path).get("extends") == "baseline.yaml"
    claimed, may_also_set = VARIANTS[variant]
    loaded = load_scenario(path)
    flat = flatten(loaded.model_dump())
    for field, value in claimed.items():
        assert flat[field] == value, f"{field}: {flat[field]!r}, expected {value!r}"
    changed = differences(reference(archetype), loaded)
    stray = {p: d for p, d in changed.items() if p not in claimed and not p.startswith(may_also_set)}
    assert not stray, f"{archetype}/{variant} also changes {stray}"


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_monitoring_variants_are_sensible(archetype: str) -> None:
    patrol = load_scenario(f"{archetype}/patrol").site.enforcement
    assert 10 <= patrol.patrol_interval_min <= 240
    from baytwin.sim.ocr_calibration import scenario_identification

    anpr = scenario_identification(load_scenario(f"{archetype}/anpr"))  # the rates a run reads plates with
    assert set(anpr.conditions) == {"night", "rain", "snow", "fog"}
    for rates in anpr.conditions.values():  # bad conditions are no better than a clear day
        assert rates.misread_rate >= anpr.misread_rate and rates.noread_rate >= anpr.noread_rate


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_each_family_changes_the_baseline(archetype: str, family: str) -> None:
    """A family may include the baseline's own value, but not only that."""
    baseline = load_scenario(f"{archetype}/baseline")
    changed = [v for v in FAMILIES[family] if differences(baseline, load_scenario(f"{archetype}/{v}"))]
    assert changed, f"every {family} variant of {archetype} equals its baseline"


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_variants_of_an_enforcing_baseline_keep_its_policy(archetype: str) -> None:
    """Where the baseline already enforces, no variant swaps the policy file (only single fields)."""
    baseline = load_scenario(f"{archetype}/baseline")
    if baseline.policy.name == "no-enforcement":
        pytest.skip("the baseline has no rules: its variants switch to the standard policy")
    for variant in VARIANTS:
        assert load_scenario(f"{archetype}/{variant}").policy.name == baseline.policy.name
