"""``--json`` where a command's result is data: standard output is the JSON and nothing else."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .test_cli import baytwin, tiny  # noqa: F401 - the fixture


def test_sim_run_json_is_the_summary_written(tmp_path: Path, tiny: Path) -> None:  # noqa: F811
    result = baytwin("sim", "run", str(tiny), "--out", str(tmp_path / "run"), "--days", "1", "--json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    written = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert {k: v for k, v in printed.items() if k != "wall_seconds"} == \
        {k: v for k, v in written.items() if k != "wall_seconds"}


def test_sweep_json_has_every_cell_and_the_outcome(tmp_path: Path, tiny: Path) -> None:  # noqa: F811
    result = baytwin("sweep", str(tiny), "--grid", "site.ev_bays=2,3", "--replications", "2", "--days", "1",
                     "--workers", "1", "--out", str(tmp_path / "sweep"), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["runs"] == 4 and document["done"] == 4 and document["failed"] == []
    assert [cell["site.ev_bays"] for cell in document["cells"]] == [2, 3]
    assert all(cell["n"] == 2 and "arrivals_mean" in cell for cell in document["cells"])
    assert "4 runs" in result.stderr  # what the table run says goes to standard error


@pytest.fixture
def stored(tmp_path: Path, tiny: Path) -> str:  # noqa: F811
    key = tmp_path / "site.key"
    db = f"sqlite:///{tmp_path / 'store.db'}"
    assert baytwin("keys", "generate", "--out", str(key)).returncode == 0
    run = baytwin("sim", "run", str(tiny), "--out", str(tmp_path / "run"), "--days", "1", "--store", "--db", db,
                  "--key-file", str(key))
    assert run.returncode == 0, run.stderr
    return db


def test_audit_verify_json_says_intact_or_names_each_problem(tmp_path: Path, stored: str) -> None:
    intact = baytwin("audit", "verify", "--db", stored, "--json")
    assert intact.returncode == 0, intact.stderr
    report = json.loads(intact.stdout)
    assert report["intact"] is True and report["rows"] > 0 and report["sites"] == 1 and report["problems"] == []
    with sqlite3.connect(tmp_path / "store.db") as conn:
        conn.execute("UPDATE event_log SET ts = ts + 60 WHERE seq = 3")
    broken = baytwin("audit", "verify", "--db", stored, "--json")
    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert report["intact"] is False and report["problems"]


def test_review_list_json_lists_the_pending_reads(tmp_path: Path) -> None:
    from baytwin.core.events import PlateRead, VehicleArrived
    from baytwin.live.site import load_site
    from tests.live.conftest import T0, open_log, write_site

    site_file = write_site(tmp_path)
    open_log(load_site(site_file)).append([VehicleArrived(T0, "garage", "B1"),
                                           PlateRead(T0 + 1, "garage", "B1", "AB12CDF", 0.7, "review")],
                                          {1: b"\x89PNG crop"})
    result = baytwin("live", "review", "list", "--site", str(site_file), "--json", "--crops", str(tmp_path / "crops"))
    assert result.returncode == 0, result.stderr
    (read,) = json.loads(result.stdout)
    assert read["bay"] == "B1" and read["plate"] == "AB12CDF" and read["confidence"] == pytest.approx(0.7)
    assert Path(read["crop"]).read_bytes() == b"\x89PNG crop"


def test_sim_run_json_of_a_portfolio_is_its_document(tmp_path: Path) -> None:
    result = baytwin("sim", "run", "portfolios/north-estate", "--days", "1", "--workers", "1",
                     "--out", str(tmp_path / "estate"), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document == json.loads((tmp_path / "estate" / "portfolio.json").read_text())
    assert "north-estate: 3 sites" in result.stderr
