"""Planning a sweep: every cell validated before anything runs, common seeds across cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from baytwin.core.config import ConfigError
from baytwin.sim.sweep.grid import GridProblem
from baytwin.sim.sweep.plan import plan_sweep


def test_every_cell_runs_the_same_seeds(tiny: Path) -> None:
    plan = plan_sweep(str(tiny), ["grace_min=5,30", "signage=poor,good"], replications=3, base_seed=100)
    assert len(plan.cells) == 4 and len(plan.runs) == 12
    for cell in plan.cells:
        assert [r.seed for r in plan.runs if r.cell == cell] == [100, 101, 102]
    assert len({r.run_id for r in plan.runs}) == 12


def test_the_base_seed_defaults_to_the_scenarios(tiny: Path) -> None:
    plan = plan_sweep(str(tiny), ["grace_min=5"], replications=2)
    assert plan.base_seed == 11 and [r.seed for r in plan.runs] == [11, 12]


def test_each_run_carries_its_cells_scenario_with_the_fixed_overrides(tiny: Path) -> None:
    plan = plan_sweep(str(tiny), ["grace_min=5,30"], replications=1, fixed={"site.ev_bays": 2})
    assert [r.scenario.policy.rules.overstay.grace_min for r in plan.runs] == [5, 30]
    assert {r.scenario.site.ev_bays for r in plan.runs} == {2}


def test_a_bad_value_fails_before_anything_runs_naming_axis_and_value(tiny: Path) -> None:
    with pytest.raises(ConfigError) as err:
        plan_sweep(str(tiny), ["grace_min=5,-5", "signage=poor"], replications=1)
    assert "rules.overstay.grace_min" in str(err.value) and "(--grid grace_min=-5)" in str(err.value)
    with pytest.raises(ConfigError, match=r"site.signage: .*\(--grid signage=awful\)"):
        plan_sweep(str(tiny), ["grace_min=5", "signage=poor,awful"], replications=1)


def test_the_identity_ignores_replications_but_not_the_grid(tiny: Path) -> None:
    two = plan_sweep(str(tiny), ["grace_min=5,30"], replications=2).identity()
    five = plan_sweep(str(tiny), ["grace_min=5,30"], replications=5).identity()
    other = plan_sweep(str(tiny), ["grace_min=5,31"], replications=2).identity()
    assert two == five and two != other


def test_a_field_cannot_be_both_an_axis_and_fixed(tiny: Path) -> None:
    with pytest.raises(GridProblem, match="also fixed by --set"):
        plan_sweep(str(tiny), ["grace_min=5,30"], replications=1, fixed={"policy.rules.overstay.grace_min": 10})
