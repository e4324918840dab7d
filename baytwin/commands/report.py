"""``baytwin report``: the report of a comparison of runs or of a sweep, for the meeting."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from baytwin.common import console, fail, needs_extra

DEFAULT_OBJECTIVES = ("idle_bay_hours", "mean_occupied_bays", "idle_fee_revenue", "false_penalties")


def report(
    target: Path = typer.Argument(..., help="A sweep folder (sweep.json), or a folder holding runs at any depth "
                                  "(runs of one scenario with different seeds count as its replications)."),
    out: Path = typer.Option(..., "--out", "-o", help="The report: one self-contained HTML file."),
    objective: list[str] = typer.Option([], "--objective", help="A summary figure the answer is about "
                                        "(repeatable; a sweep ranks on the first). Default: bay-hours blocked, "
                                        "occupied bays, idle-fee revenue, false penalties."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Runs: the variant the others are compared "
                                           "with, by its label (default: the first found)."),
    direction: Optional[str] = typer.Option(None, "--direction", help="A sweep: maximize or minimize the objective "
                                            "(default: its natural direction)."),
) -> None:
    """Write the report of a comparison or a sweep: question, setup, answer, charts, tables with 95 %
    intervals, assumptions. It opens offline in any browser; print it to PDF from there."""
    needs_extra("baytwin report", "dashboards")  # the report is drawn by the dashboards' code
    _quiet_streamlit()
    from baytwin.dashboards.data import DataProblem, discover, load_runs, load_sweep

    if out.suffix.lower() not in (".html", ".htm"):
        raise fail(f"--out {out}: the report is HTML (report.html); print it to PDF from a browser")
    if direction not in (None, "maximize", "minimize"):
        raise fail(f"--direction {direction}: maximize or minimize")
    if not target.is_dir():
        raise fail(f"{target}: no such folder")
    try:
        if (target / "sweep.json").is_file():
            html, what = _sweep(load_sweep(target), list(objective), direction), "sweep"
        else:
            runs, problems = load_runs(discover(target))
            for problem in problems:
                console.print(f"skipped: {problem}", highlight=False)
            html, what = _comparison(runs, list(objective), baseline, target), "comparison"
    except DataProblem as err:
        raise fail(str(err)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    console.print(f"Report of the {what} in [bold]{out}[/] (open it in a browser; print it to PDF from there)")


def _quiet_streamlit() -> None:
    """The report reuses the dashboards' readers, whose caches warn that no Streamlit server is
    running: true, and nothing a user of the command needs to read."""
    import logging

    from streamlit.logger import get_logger

    get_logger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)


def _sweep(sweep, objectives: list[str], direction: str | None) -> str:  # type: ignore[no-untyped-def]
    from baytwin.dashboards.data import PREFERRED_METRIC
    from baytwin.dashboards.report import sweep_report

    chosen = objectives[0] if objectives else PREFERRED_METRIC if PREFERRED_METRIC in sweep.metrics else sweep.metrics[0]
    if chosen not in sweep.metrics:
        raise fail(f"--objective {chosen}: not a figure of this sweep (one of: {', '.join(sweep.metrics)})")
    return sweep_report(sweep, chosen, None if direction is None else direction == "maximize")


def _comparison(runs, objectives: list[str], baseline: str | None, target: Path) -> str:  # type: ignore[no-untyped-def]
    from baytwin.dashboards.comparison import group_runs
    from baytwin.dashboards.report import comparison_report

    variants = group_runs(runs)
    if len(variants) < 2:
        raise fail(f"{target}: a comparison needs runs of two or more scenarios or policies (found {len(variants)}); "
                   "or give a sweep folder")
    labels = [v.label for v in variants]
    if baseline is not None and baseline not in labels:
        raise fail(f"--baseline {baseline}: no such variant (one of: {', '.join(labels)})")
    base = variants[labels.index(baseline)] if baseline else variants[0]
    known = set.intersection(*(set(v.summaries[v.seeds[0]]) for v in variants))
    for name in objectives:
        if name not in known:
            raise fail(f"--objective {name}: not a figure of these runs (e.g. {', '.join(DEFAULT_OBJECTIVES)})")
    chosen = objectives or [n for n in DEFAULT_OBJECTIVES if n in known]
    return comparison_report(base, [v for v in variants if v is not base], chosen)
