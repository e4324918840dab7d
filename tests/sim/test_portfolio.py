"""Portfolios: loading and its one-line errors, seeds, running the sites together, totals, sweeps."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from baytwin.core.config import ConfigError
from baytwin.sim.portfolio import find_portfolio, load_portfolio, site_seed
from baytwin.sim.portfolio_run import plan_sites, run_portfolio, run_sites
from baytwin.sim.portfolio_totals import BAY_WEIGHTED, RATIOS, SUMS
from tests.sim.sweep.conftest import TINY

SITE_A = TINY.replace("name: tiny", "name: tiny-a").replace("days: 2", "days: 30")  # the portfolio's days win

SITE_B = """
extends: a.yaml
name: tiny-b
site: {id: tiny-b, ev_bays: 3}
"""

PORTFOLIO = """
name: tiny-estate
seed: 5
days: 2
overrides:
  policy.rules.overstay.grace_min: 10
sites:
  - scenario: sites/a.yaml
    label: a
  - scenario: sites/b.yaml
    label: b
    overrides:
      policy.rules.overstay.grace_min: 20
"""

NOT_FIGURES = {"wall_seconds"}  # the one figure that differs between runs of one seed


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "a.yaml").write_text(SITE_A)
    (tmp_path / "sites" / "b.yaml").write_text(SITE_B)
    path = tmp_path / "estate.yaml"
    path.write_text(PORTFOLIO)
    return path


def _write(estate: Path, text: str) -> Path:
    path = estate.parent / "variant.yaml"
    path.write_text(text)
    return path


def _figures(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in NOT_FIGURES}


# --- loading --------------------------------------------------------------------------------


def test_a_portfolio_loads_each_site_with_the_estate_overrides_then_its_own_then_the_command_lines(
        estate: Path) -> None:
    portfolio = load_portfolio(estate)
    assert portfolio.name == "tiny-estate" and portfolio.seed == 5 and portfolio.days == 2
    a, b = portfolio.sites
    assert (a.label, b.label) == ("a", "b") and (a.scenario.name, b.scenario.name) == ("tiny-a", "tiny-b")
    assert a.scenario.policy.rules.overstay.grace_min == 10  # the estate's override
    assert b.scenario.policy.rules.overstay.grace_min == 20  # the site's own wins over the estate's
    assert portfolio.ev_bays == 7

    set_on_command_line = load_portfolio(estate, {"policy.rules.overstay.grace_min": 45})
    assert {m.scenario.policy.rules.overstay.grace_min for m in set_on_command_line.sites} == {45}


def test_a_site_without_a_label_is_labelled_by_its_scenarios_name_and_bundled_names_resolve(estate: Path) -> None:
    path = _write(estate, "name: x\nsites:\n  - scenario: retail-car-park/anpr\n  - scenario: sites/a.yaml\n")
    portfolio = load_portfolio(path)
    assert [m.label for m in portfolio.sites] == ["retail-car-park-anpr", "tiny-a"]
    assert portfolio.days == 28 and portfolio.seed == 1  # the defaults: every site runs the same days


def test_a_portfolio_is_told_from_a_scenario_by_its_sites_key(estate: Path) -> None:
    assert find_portfolio(estate) == estate
    assert find_portfolio(estate.parent / "sites" / "a.yaml") is None
    assert find_portfolio("retail-car-park/baseline") is None
    assert find_portfolio("portfolios/north-estate") is not None
    assert find_portfolio(estate.parent / "missing.yaml") is None  # the scenario loader reports it


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\nsites:\n  - scenario: nowhere/at-all\n",
     "variant.yaml: sites.0.scenario: 'nowhere/at-all' not found: neither a file beside the portfolio file "
     "nor a bundled scenario name"),
    ("name: x\nsites:\n  - scenario: sites/a.yaml\n    overrides: {site.ev_bayz: 3}\n",
     "variant.yaml: sites.0.overrides.site.ev_bayz: unknown field (did you mean ev_bays?) (site 0, scenario sites/a.yaml)"),
    ("name: x\nsites:\n  - scenario: sites/a.yaml\n  - scenario: sites/b.yaml\n    overrides: {site.ev_bays: 0}\n",
     "variant.yaml: sites.1.overrides.site.ev_bays: Input should be greater than or equal to 1 (got 0) "
     "(site 1, scenario sites/b.yaml)"),
    ("name: x\noverrides: {site.id.colour: red}\nsites:\n  - scenario: sites/a.yaml\n",
     "variant.yaml: overrides.site.id.colour: 'site.id' is not a mapping"),
    ("name: x\noverrides: {site.signage.colour: red}\nsites:\n  - scenario: sites/a.yaml\n",
     "variant.yaml: overrides.site.signage.colour: Input should be 'good', 'poor' or 'none'"),
    ("name: x\noverrides: {policy.rules.overstay.grace_min: -5}\nsites:\n  - scenario: retail-car-park/baseline\n",
     "variant.yaml: overrides.policy.rules.overstay.grace_min: Input should be greater than or equal to 0 (got -5) "
     "(policy of scenarios/retail-car-park/baseline.yaml) (site 0, scenario retail-car-park/baseline)"),
    ("name: x\nsites:\n  - {scenario: sites/a.yaml, label: a}\n  - {scenario: sites/b.yaml, label: a}\n",
     "variant.yaml: sites.1.label: 'a' is already the label of site 0; give each site its own label"),
    ("name: x\nsites:\n  - scenario: sites/a.yaml\n  - scenario: sites/a.yaml\n",
     "variant.yaml: sites.1.label: 'tiny-a' is already the label of site 0"),
    ("name: x\nsites: []\n", "variant.yaml: sites: List should have at least 1 item after validation, not 0"),
    ("name: x\nsites:\n  - {scenario: sites/a.yaml, label: 'north/east'}\n",
     "variant.yaml: sites.0.label: must be 1-64 letters, digits, '-' or '_'"),
    ("name: x\nseeds: 3\nsites:\n  - scenario: sites/a.yaml\n", "variant.yaml: seeds: unknown field"),
    ("name: x\ndays: 0\nsites:\n  - scenario: sites/a.yaml\n",
     "variant.yaml: days: Input should be greater than 0 (got 0)"),
])
def test_each_problem_is_one_line_naming_the_portfolio_file_and_field(estate: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_portfolio(_write(estate, text))
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_broken_site_scenario_is_named_with_the_portfolio_that_uses_it(estate: Path) -> None:
    (estate.parent / "sites" / "broken.yaml").write_text("extends: a.yaml\nsite: {signage: awful}\n")
    with pytest.raises(ConfigError) as caught:
        load_portfolio(_write(estate, "name: x\nsites:\n  - scenario: sites/broken.yaml\n"))
    assert "broken.yaml: site.signage: Input should be 'good', 'poor' or 'none'" in str(caught.value)
    assert "(site 0, scenario sites/broken.yaml of " in str(caught.value)


@pytest.mark.parametrize(("content", "message"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a binary file, not YAML text"),
    ("name: caf\xe9\nsites: []\n".encode("latin-1"), "not UTF-8 text (byte 0xe9 on line 1)"),
])
def test_a_binary_or_non_utf8_portfolio_file_is_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "estate.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_portfolio(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_scenario_is_found_beside_the_portfolio_not_beside_the_working_directory(
        estate: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "portfolios").mkdir(parents=True)
    moved = elsewhere / "portfolios" / "estate.yaml"
    moved.write_text(PORTFOLIO)
    monkeypatch.chdir(tmp_path)  # sites/a.yaml exists here, but not beside the portfolio
    with pytest.raises(ConfigError, match=r"sites\.0\.scenario: 'sites/a.yaml' not found"):
        load_portfolio(moved)


# --- seeds ----------------------------------------------------------------------------------


def test_a_sites_seed_depends_on_the_run_seed_and_its_label_only() -> None:
    assert site_seed(5, "a") == site_seed(5, "a")
    assert len({site_seed(5, "a"), site_seed(5, "b"), site_seed(6, "a")}) == 3


# --- running --------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_results_and_totals(estate: Path, tmp_path: Path) -> None:
    portfolio = load_portfolio(estate)
    first = run_portfolio(portfolio, tmp_path / "one")
    again = run_portfolio(portfolio, tmp_path / "two")
    assert first["total"] == again["total"] and first["sites"] == again["sites"]
    other = run_portfolio(portfolio, tmp_path / "three", seed=6)
    assert [s["seed"] for s in other["sites"]] != [s["seed"] for s in first["sites"]]
    assert other["total"] != first["total"]


def test_two_sites_of_one_scenario_under_different_labels_get_different_seeds_and_luck(estate: Path) -> None:
    path = _write(estate, "name: x\ndays: 2\nsites:\n  - {scenario: sites/a.yaml, label: east}\n"
                          "  - {scenario: sites/a.yaml, label: west}\n")
    sites = plan_sites(load_portfolio(path))
    assert sites[0].seed != sites[1].seed
    east, west = run_sites(sites).values()
    assert _figures(east) != _figures(west)


def test_every_site_is_written_as_a_single_run_and_the_totals_are_formed_from_those_summaries(
        estate: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    document = run_portfolio(load_portfolio(estate), out)
    summaries = {}
    for label in ("a", "b"):
        for name in ("summary.json", "scenario.json", "sessions.parquet", "violations.parquet", "actions.parquet",
                     "events.parquet", "timeseries.parquet"):
            assert (out / label / name).is_file()
        summaries[label] = json.loads((out / label / "summary.json").read_text())
        assert summaries[label]["days"] == 2
    assert json.loads((out / "portfolio.json").read_text()) == document
    total = document["total"]
    for name in SUMS:
        assert total[name] == pytest.approx(sum(s[name] for s in summaries.values()))
    assert total["violations_true"] > 0 and total["idle_fee_revenue"] > 0  # the sums are of something
    for name, (numerator, denominator) in RATIOS.items():
        assert total[name] == pytest.approx(total[numerator] / total[denominator])
    for name in BAY_WEIGHTED:
        weighted = sum(s[name] * s["ev_bays"] for s in summaries.values()) / sum(s["ev_bays"] for s in summaries.values())
        assert total[name] == pytest.approx(weighted)
    table = pd.read_csv(out / "portfolio.csv")
    assert list(table["site"]) == ["a", "b", "total"]
    assert table.loc[2, "penalties"] == total["penalties"] == sum(s["penalties"] for s in summaries.values())


def test_an_override_of_one_site_changes_that_site_only(estate: Path, tmp_path: Path) -> None:
    before = run_portfolio(load_portfolio(estate), tmp_path / "before")
    changed = _write(estate, PORTFOLIO.replace("policy.rules.overstay.grace_min: 20", "site.ev_bays: 1"))
    after = run_portfolio(load_portfolio(changed), tmp_path / "after")
    same = json.loads((tmp_path / "before" / "a" / "summary.json").read_text())
    assert _figures(same) == _figures(json.loads((tmp_path / "after" / "a" / "summary.json").read_text()))
    b_before, b_after = before["sites"][1], after["sites"][1]
    assert (b_before["ev_bays"], b_after["ev_bays"]) == (3, 1) and b_before["blocked"] != b_after["blocked"]


def test_sites_in_worker_processes_give_what_they_give_one_after_another(estate: Path) -> None:
    sites = plan_sites(load_portfolio(estate))
    seen: list[tuple[str, float]] = []
    parallel = run_sites(sites, workers=2, progress=lambda label, done, _total: seen.append((label, done)))
    sequential = run_sites(sites, workers=1)
    assert {k: _figures(v) for k, v in parallel.items()} == {k: _figures(v) for k, v in sequential.items()}
    assert {("a", 2.0), ("b", 2.0)} <= set(seen)  # each worker's progress reached the caller


# --- sweeps ---------------------------------------------------------------------------------


def test_a_portfolio_sweep_runs_every_site_in_each_cell(estate: Path, tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    from baytwin.sim.sweep.portfolio import plan_portfolio_sweep, simulate_portfolio
    from baytwin.sim.sweep.run import run_sweep
    from baytwin.sim.sweep.store import RunStore

    plan = plan_portfolio_sweep(str(estate), ["site.ev_bays=2,5"], replications=1, days=1)
    assert len(plan.cells) == 2
    assert all(m.scenario.site.ev_bays == 2 for m in plan.runs[0].scenario.sites)  # the axis: at every site
    store = RunStore(tmp_path / "sweep")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        report = run_sweep(plan, store, client, simulate_portfolio)
    assert report.done == 2 and not report.failed
    cells = pd.read_csv(tmp_path / "sweep" / "cells.csv").set_index("site.ev_bays")
    assert list(cells.index) == [2, 5] and list(cells["ev_bays_mean"]) == [4, 10]
    for name in ("violations_true", "penalties", "arrivals"):
        assert (cells[f"{name}_mean"] == cells[f"sites.a.{name}_mean"] + cells[f"sites.b.{name}_mean"]).all()
    assert cells.loc[2, "blocked_mean"] > cells.loc[5, "blocked_mean"]
