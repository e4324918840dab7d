"""Files to frames, without Streamlit running: discovery, tables, free bays, differences, ranking."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from baytwin.dashboards.data import (
    Constraint,
    DataProblem,
    availability_by_hour,
    dangerous_reads,
    discover,
    flatten,
    format_figure,
    load_ocr_eval,
    load_sweep,
    parse_misread,
    rank_cells,
    scenario_differences,
    summary_table,
)


def test_discover_finds_runs_sweeps_ocr_evaluations_and_portfolios_at_any_depth(runs_root: Path) -> None:
    found = discover(runs_root)
    runs = [found.label(r) for r in found.runs]
    assert runs[:2] == ["demo/workplace-garage-baseline", "demo/workplace-garage-enforced"]
    assert "estate/fee/dc-hub" in runs and "seeds/fee/seed-4" in runs and len(runs) == 16  # a portfolio's sites too
    assert [found.label(s) for s in found.sweeps] == ["sweeps/fee-switched-off", "sweeps/grace-by-misreads"]
    assert [found.label(e) for e in found.ocr_evals] == ["ocr/mixed", "ocr/world"]
    assert [found.label(p) for p in found.portfolios] == ["estate/fee", "estate/no-fee"]
    assert discover(runs_root / "missing").runs == []


def test_summary_table_keeps_the_raw_figures(demo_dir: Path) -> None:
    summaries = {name: json.loads((demo_dir / name / "summary.json").read_text())
                 for name in ("workplace-garage-baseline", "workplace-garage-enforced")}
    table = summary_table(summaries, ["served", "precision"])
    assert table.loc["served", "workplace-garage-enforced"] == summaries["workplace-garage-enforced"]["served"]
    assert table.loc["precision", "workplace-garage-baseline"] is None  # nothing detected: no precision
    assert format_figure(None) == "–" and format_figure(1234) == "1,234" and format_figure(0.88241) == "0.882"


def test_free_bays_by_hour_use_the_site_clock() -> None:
    samples = pd.DataFrame({"ts": pd.to_datetime(["2020-01-06 16:00", "2020-01-07 16:00", "2020-01-06 17:00"], utc=True),
                            "occupied_ev_bays": [4, 2, 10]})
    hourly = availability_by_hour(samples, 10, "America/Los_Angeles").set_index("hour")
    assert hourly.loc[8, "mean_free_ev_bays"] == 7.0 and hourly.loc[8, "samples"] == 2  # 16:00 UTC = 08:00 PST
    assert hourly.loc[9, "mean_free_ev_bays"] == 0.0


def test_scenario_differences_list_only_differing_paths() -> None:
    a = {"site": {"ev_bays": 4, "chargers": [{"kw": 7}]}, "policy": {"grace": 15, "tags": [1, 2]}}
    b = {"site": {"ev_bays": 4, "chargers": [{"kw": 22}]}, "policy": {"grace": 15, "tags": [1, 3], "fee": 0.4}}
    differences = scenario_differences({"a": a, "b": b}).set_index("path")
    assert set(differences.index) == {"site.chargers[0].kw", "policy.tags", "policy.fee"}
    assert differences.loc["policy.fee", "a"] == "(absent)" and differences.loc["policy.tags", "b"] == "[1, 3]"
    assert scenario_differences({"a": a, "again": a}).empty
    assert flatten({"x": {}}) == {"x": {}}


def test_rank_cells_keeps_feasible_cells_best_first() -> None:
    cells = pd.DataFrame({"grace": [0, 15, 30], "n": 3,
                          "free_mean": [5.0, 4.0, 3.0], "free_ci_low": [4.0, 3.5, 2.0], "free_ci_high": [6.0, 4.5, 4.0],
                          "fp_mean": [0.5, 0.1, 0.0], "fp_ci_low": [0.2, 0.0, 0.0], "fp_ci_high": [0.8, 0.3, 0.0]})
    ranked = rank_cells(cells, ["grace"], "free", True, [Constraint("fp", "<=", 0.2)])
    assert ranked.grace.tolist() == [15, 30] and ranked.index[0] == 1
    conservative = rank_cells(cells, ["grace"], "free", True, [Constraint("fp", "<=", 0.2)], conservative=True)
    assert conservative.grace.tolist() == [30]
    assert rank_cells(cells, ["grace"], "fp", False).grace.tolist() == [30, 15, 0]


def test_load_sweep_reads_the_contract_and_names_what_breaks_it(sweep_dir: Path, tmp_path: Path) -> None:
    sweep = load_sweep(sweep_dir)
    assert sweep.axes == ["grace_min", "misread_rate", "fee"]
    assert sweep.axis_values("grace_min") == [0, 30]
    assert sweep.axis_path("fee") == "policy.idle_fee.per_min"
    assert "idle_fee_revenue" in sweep.metrics and len(sweep.runs) == 24
    with pytest.raises(DataProblem, match=r"sweep\.json: file not found"):
        load_sweep(tmp_path)
    (tmp_path / "sweep.json").write_text("{not json")
    (tmp_path / "runs.parquet").write_bytes((sweep_dir / "runs.parquet").read_bytes())
    (tmp_path / "cells.parquet").write_bytes((sweep_dir / "cells.parquet").read_bytes())
    with pytest.raises(DataProblem, match=r"sweep\.json: line 1: invalid JSON"):
        load_sweep(tmp_path)


def test_ocr_evaluation_misreads_and_dangerous_reads(ocr_dir: Path) -> None:
    evaluation = load_ocr_eval(ocr_dir)
    assert len(evaluation.misreads) == len(list((ocr_dir / "misreads").glob("*.png")))
    crop = parse_misread(Path("003_CE273JJ_read_LE273JJ_accepted.png"))
    assert crop is not None and (crop.truth, crop.read, crop.dangerous) == ("CE273JJ", "LE273JJ", True)
    nothing = parse_misread(Path("004_CE273JJ_read_none_unreadable.png"))
    assert nothing is not None and nothing.read is None and not nothing.dangerous
    reads = pd.DataFrame({"file": ["a", "b", "c"], "truth": ["AB1", "AB1", "AB1"], "read": ["AB1", "A81", "A81"],
                          "status": ["accepted", "accepted", "review"], "correct": [True, False, False],
                          "error": [None, None, None]})
    assert dangerous_reads(reads).file.tolist() == ["b"]
