"""Grid axes: parsing ``--grid``, resolving short names to one field, expanding cells, naming runs."""

from __future__ import annotations

import pytest

from baytwin.sim.scenario import load_scenario
from baytwin.sim.sweep.grid import Cell, GridProblem, expand, parse_grid_item, resolve_axes, resolve_path, run_id


@pytest.fixture(scope="module")
def tree() -> dict:
    return load_scenario("workplace-garage/enforced").model_dump(mode="json")


def test_values_are_read_as_yaml() -> None:
    assert parse_grid_item("grace_min=5,10,15,30") == ("grace_min", (5, 10, 15, 30))
    assert parse_grid_item("idle_fee_per_min=0, 0.25,0.5") == ("idle_fee_per_min", (0, 0.25, 0.5))
    assert parse_grid_item("signage=poor,good") == ("signage", ("poor", "good"))
    assert parse_grid_item("enabled=true,false") == ("enabled", (True, False))


def test_a_yaml_list_gives_values_that_contain_commas() -> None:
    assert parse_grid_item("night_hours=[[19, 7], [20, 6]]") == ("night_hours", ([19, 7], [20, 6]))


@pytest.mark.parametrize("item", ["grace_min", "=5", "grace_min=", "grace_min=5,5", "x=[1, 2"])
def test_malformed_axes_are_refused(item: str) -> None:
    with pytest.raises(GridProblem, match="--grid"):
        parse_grid_item(item)


def test_full_paths_are_taken_as_given(tree: dict) -> None:
    assert resolve_path("policy.rules.overstay.grace_min", tree) == "policy.rules.overstay.grace_min"
    assert resolve_path("site.signage", tree) == "site.signage"


def test_a_path_the_scenario_leaves_empty_is_taken_as_set_would(tree: dict) -> None:
    path = "site.identification.conditions.rain.misread_rate"
    assert resolve_path(path, tree) == path


def test_short_names_resolve_to_the_unique_field(tree: dict) -> None:
    assert resolve_path("grace_min", tree) == "policy.rules.overstay.grace_min"
    assert resolve_path("signage", tree) == "site.signage"
    assert resolve_path("idle_fee_per_min", tree) == "policy.idle_fee.per_min"
    assert resolve_path("overstay.grace_min", tree) == "policy.rules.overstay.grace_min"
    assert resolve_path("ev_bays", tree) == "site.ev_bays"


def test_an_ambiguous_short_name_lists_every_candidate(tree: dict) -> None:
    with pytest.raises(GridProblem) as err:
        resolve_path("enabled", tree)
    message = str(err.value)
    assert "ambiguous" in message
    for path in ("policy.idle_fee.enabled", "policy.rules.overstay.enabled", "policy.rules.not_charging.enabled"):
        assert path in message


def test_an_unknown_short_name_is_named(tree: dict) -> None:
    with pytest.raises(GridProblem, match="--grid grace_minutes: no field of that name"):
        resolve_path("grace_minutes", tree)


def test_two_axes_on_one_field_are_refused(tree: dict) -> None:
    with pytest.raises(GridProblem, match="already an axis"):
        resolve_axes(["grace_min=5", "policy.rules.overstay.grace_min=10"], tree)


def test_the_seed_is_not_an_axis(tree: dict) -> None:
    with pytest.raises(GridProblem, match="--replications"):
        resolve_axes(["seed=1,2"], tree)


def test_cells_are_every_combination_first_axis_slowest(tree: dict) -> None:
    axes = resolve_axes(["grace_min=5,10,15,30", "idle_fee_per_min=0,0.25,0.5", "signage=poor,good"], tree)
    cells = expand(axes)
    assert len(cells) == 24
    assert cells[0].id == "grace_min=5,idle_fee_per_min=0,signage=poor"
    assert cells[1].id == "grace_min=5,idle_fee_per_min=0,signage=good"
    assert cells[-1].overrides(axes) == {"policy.rules.overstay.grace_min": 30, "policy.idle_fee.per_min": 0.5,
                                         "site.signage": "good"}
    assert len({c.id for c in cells}) == 24


def test_run_ids_are_stable_and_distinct() -> None:
    a = Cell((("grace_min", 5), ("signage", "poor")))
    b = Cell((("grace_min", 5), ("signage", "good")))
    assert run_id(a, 1) == run_id(Cell((("grace_min", 5), ("signage", "poor"))), 1)
    assert len({run_id(a, 1), run_id(a, 2), run_id(b, 1)}) == 3
