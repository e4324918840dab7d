"""``baytwin sim run`` / ``sim validate`` / ``sim list`` / ``sweep`` given a portfolio, as a user meets them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from baytwin.cli import app
from tests.sim.sweep.conftest import TINY

PORTFOLIO = """
name: two-sites
days: 2
sites:
  - {scenario: tiny.yaml, label: north}
  - {scenario: tiny.yaml, label: south, overrides: {site.ev_bays: 2}}
"""


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    (tmp_path / "tiny.yaml").write_text(TINY)
    path = tmp_path / "estate.yaml"
    path.write_text(PORTFOLIO)
    return path


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def test_sim_run_of_a_portfolio_prints_each_site_and_the_total_and_writes_the_estates_files(
        tmp_path: Path, estate: Path) -> None:
    out = tmp_path / "run"
    result = invoke("sim", "run", str(estate), "--out", str(out), "--workers", "1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "two-sites: 2 sites, 2 days, one after another" in lines[0]
    rows = {line.split()[1]: line for line in lines if line.startswith("│")}
    assert set(rows) == {"north", "south", "total"}
    document = json.loads((out / "portfolio.json").read_text())
    total_bays = rows["total"].split("│")[2].strip()
    assert total_bays == str(document["total"]["ev_bays"]) == "6"
    assert (out / "portfolio.csv").is_file() and (out / "north" / "summary.json").is_file()
    assert json.loads((out / "south" / "scenario.json").read_text())["site"]["ev_bays"] == 2


@pytest.mark.parametrize(("args", "message"), [
    (("--store",), "error: --store: runs one scenario"),
    (("--set", "site.ev_bays=0"), "tiny.yaml: site.ev_bays: Input should be greater than or equal to 1 (got 0) "
                                  "(--set site.ev_bays; site 0, scenario tiny.yaml of "),
    (("--days", "0"), "error: --days: must be a number of days above 0"),
])
def test_a_portfolio_run_that_cannot_start_is_one_line(tmp_path: Path, estate: Path, args: tuple[str, ...],
                                                       message: str) -> None:
    out = tmp_path / "run"
    result = invoke("sim", "run", str(estate), "--out", str(out), *args)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


def test_a_broken_portfolio_file_is_one_line_naming_it(tmp_path: Path, estate: Path) -> None:
    estate.write_text(PORTFOLIO.replace("label: south", "label: north"))
    result = invoke("sim", "validate", str(estate))
    assert result.exit_code == 2
    assert "estate.yaml: sites.1.label: 'north' is already the label of site 0" in result.stderr


def test_the_bundled_portfolio_is_listed_and_valid() -> None:
    assert "portfolios/north-estate  (portfolio)" in invoke("sim", "list").stdout
    result = invoke("sim", "validate", "portfolios/north-estate")
    assert result.exit_code == 0 and "ok: north-estate (3 sites" in result.stdout


def test_a_portfolio_sweep_refuses_an_axis_the_sites_cannot_vary_alone(tmp_path: Path, estate: Path) -> None:
    out = tmp_path / "sweep"
    result = invoke("sweep", str(estate), "--grid", "days=1,2", "--out", str(out))
    assert result.exit_code == 2 and "every site of a portfolio runs the same days; use --days" in result.stderr
    assert not out.exists()


def test_a_portfolio_runs_on_a_dask_cluster_by_its_scheduler_address_with_the_same_results(
        tmp_path: Path, estate: Path) -> None:
    """The sites as tasks on a running cluster (started here, as an operator's would be): the same
    seeds give the same figures as local processes, and each site's folder is written by its worker."""
    from distributed import LocalCluster

    local = invoke("sim", "run", str(estate), "--out", str(tmp_path / "local"), "--workers", "1")
    assert local.exit_code == 0, local.output
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = invoke("sim", "run", str(estate), "--out", str(tmp_path / "cluster"), "--scheduler",
                        cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    assert f"on the cluster at {cluster.scheduler_address}" in result.stdout
    on_cluster = json.loads((tmp_path / "cluster" / "portfolio.json").read_text())
    at_home = json.loads((tmp_path / "local" / "portfolio.json").read_text())
    assert on_cluster["total"] == at_home["total"]
    assert [s["violations_true"] for s in on_cluster["sites"]] == [s["violations_true"] for s in at_home["sites"]]
    assert (tmp_path / "cluster" / "south" / "events.parquet").is_file()


def test_a_scheduler_that_cannot_be_reached_is_one_line(tmp_path: Path, estate: Path) -> None:
    result = invoke("sim", "run", str(estate), "--out", str(tmp_path / "run"), "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler" in result.output and "Traceback" not in result.output
