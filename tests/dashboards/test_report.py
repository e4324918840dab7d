"""The report for the meeting: one self-contained HTML file, from the pages' own figures; and ``baytwin report``."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from baytwin.dashboards.comparison import compare, group_runs, headline, relabelled
from baytwin.dashboards.data import discover, load_runs, load_sweep, rank_cells
from baytwin.dashboards.ranking import rank_paired
from baytwin.dashboards.report import comparison_report, sweep_report


def self_contained(page: str) -> None:
    """Nothing fetched from anywhere: no script, no stylesheet link, no image or link to the network."""
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_a_comparison_report_holds_the_answer_charts_tables_and_assumptions(seeds_dir: Path) -> None:
    runs, problems = load_runs(discover(seeds_dir))
    assert not problems
    baseline, variant = relabelled(sorted(group_runs(runs), key=lambda v: v.label != "no-fee"))
    page = comparison_report(baseline, [variant], ["idle_fee_revenue", "idle_bay_hours"])
    self_contained(page)
    for name in ("idle_fee_revenue", "idle_bay_hours"):
        assert html.escape(headline(compare(baseline, variant, name))) in page
    for section in ("Question", "Setup", "Answer", "Outcomes across the runs", "Differences from no-fee", "Assumptions"):
        assert f"<h2>{section}</h2>" in page
    assert page.count("<svg") == 1 and "USD" in page


def test_a_sweep_report_ranks_and_says_when_an_axis_does_nothing(sweep_dir: Path, inert_sweep_dir: Path) -> None:
    sweep = load_sweep(sweep_dir)
    ranked = rank_cells(sweep.cells, sweep.axes, "idle_fee_revenue", True)
    message = rank_paired(ranked, sweep.runs, sweep.axes, "idle_fee_revenue", True, len(sweep.cells)).message
    page = sweep_report(sweep, "idle_fee_revenue")  # revenue: highest is best, unasked
    self_contained(page)
    assert html.escape(message) in page and "the highest idle-fee revenue" in page
    assert page.count("<svg") == 2  # the ranking, the trade-off
    inert = sweep_report(load_sweep(inert_sweep_dir), "mean_occupied_bays")
    assert "No best policy" in inert and "axis fee (policy.idle_fee.per_min) changed no figure" in inert


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "baytwin", "report", *args], capture_output=True, text=True,
                          timeout=300, check=False)


def test_the_report_command_writes_a_comparison_or_a_sweep(seeds_dir: Path, sweep_dir: Path, tmp_path: Path) -> None:
    done = run(str(seeds_dir), "--out", str(tmp_path / "compare.html"), "--baseline", "no-fee",
               "--objective", "idle_fee_revenue")
    assert done.returncode == 0, done.stderr
    assert "more idle-fee revenue than no-fee" in (tmp_path / "compare.html").read_text()
    done = run(str(sweep_dir), "--out", str(tmp_path / "sweep.html"))
    assert done.returncode == 0, done.stderr
    assert "<h2>Ranking</h2>" in (tmp_path / "sweep.html").read_text()
    assert "WARNING" not in done.stderr  # no noise from the readers' caches


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "r.pdf"], "error: --out r.pdf: the report is HTML (report.html); print it to PDF from a browser"),
    (["--out", "r.html", "--baseline", "nobody"], "error: --baseline nobody: no such variant (one of: "),
    (["--out", "r.html", "--objective", "happiness"], "error: --objective happiness: not a figure of these runs"),
])
def test_a_bad_request_is_one_line_and_exit_2(seeds_dir: Path, tmp_path: Path, args: list[str], message: str) -> None:
    args = [a if a not in ("r.pdf", "r.html") else str(tmp_path / a) for a in args]
    message = message.replace("r.pdf", str(tmp_path / "r.pdf"))
    done = run(str(seeds_dir), *args)
    assert done.returncode == 2
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
