"""A finished run as a notebook sees it: its tables in the site's own time, its summary, the scenario as run.

A run's files keep every time in UTC, so that runs of sites in different zones line up and nothing is
ambiguous at a change of the clocks. A planner asks site questions, though ("how many violations
between 08:00 and 10:00?"), and a UTC hour answers them wrongly; so the tables a notebook gets carry
the site's zone. They are the same instants: converting back to UTC gives the written tables exactly.

The run's events may be millions of rows; they stay in the run's spool on disk until ``events`` is
asked for.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import pandas as pd

if TYPE_CHECKING:
    from baytwin.sim.metrics import RunResult
    from baytwin.sim.scenario import Scenario

#: The figures a notebook shows of a run at a glance (its repr); ``compare`` shows the command's rows.
HEADLINE = ("arrivals", "blocking_probability", "mean_dwell_min", "violations_true", "violations_detected",
            "precision", "recall", "false_penalties", "idle_fee_revenue")


def in_site_time(frame: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """``frame`` with every timezone-aware column converted to ``timezone`` (same instants, local clock)."""
    converted = {name: frame[name].dt.tz_convert(timezone) for name in frame.columns
                 if isinstance(frame[name].dtype, pd.DatetimeTZDtype)}
    return frame.assign(**converted) if converted else frame.copy()


@dataclass(eq=False)
class Results:
    """One simulated run: ``summary`` (the figures of summary.json), ``scenario`` (as run: merged, validated,
    overrides applied), and the ``sessions``, ``violations``, ``actions`` and ``timeseries`` tables with their
    times in the site's zone (``timezone``). ``events`` is read from disk when first asked for."""

    summary: dict[str, Any]
    scenario: Scenario
    sessions: pd.DataFrame = field(repr=False)
    violations: pd.DataFrame = field(repr=False)
    actions: pd.DataFrame = field(repr=False)
    timeseries: pd.DataFrame = field(repr=False)
    run: RunResult = field(repr=False)  # the run as the runner returned it (UTC): what ``write`` writes

    @classmethod
    def of(cls, run: RunResult, scenario: Scenario) -> "Results":
        """The notebook's view of a finished run."""
        zone = scenario.site.timezone
        return cls(run.summary, scenario, in_site_time(run.sessions, zone), in_site_time(run.violations, zone),
                   in_site_time(run.actions, zone), in_site_time(run.timeseries, zone), run)

    @property
    def timezone(self) -> str:
        """The site's IANA time zone: the zone of every time in the tables."""
        return str(self.scenario.site.timezone)

    @cached_property
    def events(self) -> pd.DataFrame:
        """Every event the site observed and its engine emitted, in site time. Read from the run's spool on
        first access (a site-year holds millions: ask only when needed, or ``write`` them to a file)."""
        return in_site_time(self.run.event_spool.frame(), self.timezone)

    def write(self, folder: str | Path) -> list[Path]:
        """Write the files ``baytwin sim run`` writes (summary.json, scenario.json, the Parquet tables, times
        in UTC) into ``folder``, so the dashboards and ``baytwin sim compare`` can open this run."""
        from baytwin.sim.runner import write

        return write(self.run, Path(folder), self.scenario)

    def compare(self, *others: "Comparable", labels: Sequence[str] | None = None,
                figures: Sequence[str] | None = None) -> pd.DataFrame:
        """This run beside ``others`` (Results, run folders or summary dicts): one row per figure, one column
        per run, as ``baytwin sim compare`` prints and writes to compare.csv."""
        return compare(self, *others, labels=labels, figures=figures)

    def __repr__(self) -> str:
        s = self.summary
        shown = ", ".join(f"{key}={_short(s.get(key))}" for key in HEADLINE if key in s)
        return (f"Results(scenario={s.get('scenario')!r}, site={s.get('site')!r}, seed={s.get('seed')}, "
                f"days={_days(s.get('days'))}, timezone={self.timezone!r}, {shown})")

    def _repr_html_(self) -> str:
        s = self.summary
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(key)}</th>"
                       f"<td style='text-align:right'>{html.escape(_short(s.get(key)))}</td></tr>"
                       for key in HEADLINE if key in s)
        tables = ", ".join(f"{name} ({len(getattr(self, name)):,} rows)"
                           for name in ("sessions", "violations", "actions", "timeseries"))
        title = (f"<b>{html.escape(str(s.get('scenario')))}</b>: site {html.escape(str(s.get('site')))}, "
                 f"seed {s.get('seed')}, {html.escape(_days(s.get('days')))} days, times in "
                 f"{html.escape(self.timezone)}")
        return (f"<div>{title}<table>{rows}</table><small>{html.escape(tables)}; events on demand; "
                f"every figure in <code>.summary</code></small></div>")


Comparable = Union[Results, str, Path, Mapping[str, Any]]


def summary_of(run: Comparable) -> dict[str, Any]:
    """A run's summary: from Results, from a run folder (or its summary.json), or given as a dict."""
    if isinstance(run, Results):
        return run.summary
    if isinstance(run, Mapping):
        return dict(run)
    path = Path(run)
    target = path / "summary.json" if path.is_dir() else path
    try:
        return json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{target}: no such file (is {path} a finished run?)") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{target}: not valid JSON ({err.msg} at line {err.lineno})") from None


def flat_figures(summary: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every figure of a summary, nested counts as dotted names (``violations_by_rule.overstay.true``)."""
    flat: dict[str, Any] = {}
    for key, value in summary.items():
        if isinstance(value, Mapping):
            flat.update(flat_figures(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def compare(*runs: Comparable, labels: Sequence[str] | None = None,
            figures: Sequence[str] | None = None) -> pd.DataFrame:
    """Runs side by side: one row per figure (by default the rows of ``baytwin sim compare``; any figure of
    summary.json by name, nested ones dotted), one column per run, labelled with ``labels``, else a run
    folder's name and any other run's scenario name (a repeated name gets `` (2)``, `` (3)``)."""
    from baytwin.common import SUMMARY_ROWS

    summaries = [flat_figures(summary_of(run)) for run in runs]
    if labels is None:
        labels = _unique([_label(run, s, i) for i, (run, s) in enumerate(zip(runs, summaries))])
    labels = list(labels)
    if len(labels) != len(summaries):
        raise ValueError(f"labels: {len(labels)} given for {len(summaries)} runs")
    if len(set(labels)) != len(labels):
        raise ValueError(f"labels: must differ from one another (got {labels})")
    rows = list(SUMMARY_ROWS if figures is None else figures)
    # object columns: a count stays a whole number beside a share, and a figure a run lacks stays None
    return pd.DataFrame({label: pd.Series([s.get(key) for key in rows], index=rows, dtype=object)
                         for label, s in zip(labels, summaries)}).rename_axis("metric")


def _label(run: Comparable, summary: Mapping[str, Any], index: int) -> str:
    """A run folder by its name, as ``baytwin sim compare`` heads its columns; any other run by its scenario."""
    if isinstance(run, (str, Path)):
        path = Path(run)
        return (path if path.is_dir() else path.parent).name or str(path)
    return str(summary.get("scenario", f"run {index + 1}"))


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _days(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
